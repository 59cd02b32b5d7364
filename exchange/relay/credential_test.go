package relay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestRESTCredentials checks the draft-uberti-behave-turn-rest scheme
// against its definition, computed here independently, and the refusals.
func TestRESTCredentials(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	s := &restSecret{key: append([]byte(nil), key...)}
	now := time.Unix(1_800_000_000, 0)
	user, pass, ok := s.mint("pk-0001:call7", now, 10*time.Minute)
	if !ok || user != "1800000600:pk-0001:call7" {
		t.Fatalf("mint = %q, %v", user, ok)
	}
	mac := hmac.New(sha1.New, key)
	mac.Write([]byte(user))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); pass != want {
		t.Fatalf("password %q, want %q", pass, want)
	}
	device, k, ok := s.check(user, "mehfooz", now.Add(5*time.Minute))
	sum := md5.Sum([]byte(user + ":mehfooz:" + pass))
	if !ok || device != "pk-0001" || string(k) != string(sum[:]) {
		t.Fatalf("check = %q, %x, %v", device, k, ok)
	}
	for name, c := range map[string]struct {
		user string
		at   time.Time
	}{
		"expired":    {user, now.Add(11 * time.Minute)},
		"no expiry":  {"pk-0001:call7", now},
		"bad expiry": {"18e8:pk-0001:call7", now},
		"empty":      {"", now},
	} {
		if _, _, ok := s.check(c.user, "mehfooz", c.at); ok {
			t.Errorf("%s: %q accepted", name, c.user)
		}
	}
	// A forged username keeps its HMAC check: the key it yields is not the
	// one the real password gives, so the TURN MESSAGE-INTEGRITY fails.
	forged := strings.Replace(user, "pk-0001", "pk-0002", 1)
	if _, k2, _ := s.check(forged, "mehfooz", now); string(k2) == string(sum[:]) {
		t.Error("a forged username yields the real key")
	}
	s.Wipe()
	if _, _, ok := s.check(user, "mehfooz", now); ok {
		t.Error("a wiped secret still checks credentials")
	}
	if _, _, ok := s.mint("pk-0001:call8", now, time.Minute); ok {
		t.Error("a wiped secret still mints")
	}
	if s.key != nil {
		t.Error("the key survived Wipe")
	}
}
