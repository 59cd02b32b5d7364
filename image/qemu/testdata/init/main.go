// Command init is a stand-in for phoned in the boot test until phoned
// itself runs pid1: it boots, prints the ready line, marks the slot good,
// and shuts down cleanly on a signal. It does what phoned's main does
// around its subsystems.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"mehfooz/board"
	"mehfooz/daemon/pid1"
)

func main() {
	name := flag.String("board", "", "board")
	flag.Parse()
	b, err := board.Lookup(*name)
	if err != nil {
		fmt.Println(err)
		b, _ = board.Lookup("qemu-x86_64")
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	sys, err := pid1.Boot(ctx, pid1.Config{Board: b, Log: log})
	if err != nil {
		log.Error("boot", "err", err)
	}
	sys.Ready()
	if err := sys.BootSucceeded(); err != nil {
		log.Error("mark boot", "err", err)
	}
	a := sys.Wait(ctx)
	for {
		log.Error("shutdown", "err", sys.Shutdown(a))
		time.Sleep(time.Second)
	}
}
