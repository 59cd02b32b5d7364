package voice

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// relayEnv makes the test binary a bare TURN relay (see externalRelay).
const relayEnv = "VOICE_TEST_RELAY"

func TestMain(m *testing.M) {
	if os.Getenv(relayEnv) == "1" {
		os.Exit(serveRelay())
	}
	os.Exit(m.Run())
}

// serveRelay runs the TURN relay in this process until stdin closes, having
// printed its UDP port.
func serveRelay() int {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:         "mehfooz",
		LoggerFactory: lf,
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(relaySecret, nil),
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
			RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1",
		}}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(portOf(pc.LocalAddr()))
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

// externalRelay starts the relay in a child process, so that the process
// CPU time of a benchmark is the handsets' alone, as on real handsets whose
// relay runs at the operator. It returns the turn: URL.
func externalRelay(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), relayEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("relay process: %v", err)
	}
	return "turn:127.0.0.1:" + strings.TrimSpace(port) + "?transport=udp"
}
