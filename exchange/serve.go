package exchange

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve runs the exchange on the handset listener and, if not nil, the
// technician listener (both plain TCP: Serve does TLS), until ctx ends. It
// returns after every connection is closed and every goroutine it started
// has ended.
func (x *Exchange) Serve(ctx context.Context, handsets, technicians net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	auditCtx, stopAudit := context.WithCancel(context.Background())
	var auditWG sync.WaitGroup
	auditWG.Go(func() { x.audit.run(auditCtx) })
	defer func() { stopAudit(); auditWG.Wait() }() // after every producer is gone

	wg.Go(func() { x.janitor(ctx) })

	errc := make(chan error, 2)
	wg.Go(func() { errc <- x.acceptHandsets(ctx, handsets) })
	if technicians != nil {
		srv := x.adminServer(ctx)
		wg.Go(func() {
			err := srv.Serve(tls.NewListener(technicians, x.TechnicianTLS()))
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		})
		wg.Go(func() {
			<-ctx.Done()
			srv.Close()
		})
	}
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	cancel()
	wg.Wait()
	if first != nil {
		return fmt.Errorf("exchange: serve: %w", first)
	}
	return nil
}

func (x *Exchange) acceptHandsets(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept handsets: %w", err)
		}
		wg.Go(func() { x.handle(ctx, c) })
	}
}

// timeout closes c if done is not closed within d on the exchange's clock.
// It returns a function that cancels it and waits for its goroutine.
func (x *Exchange) timeout(d time.Duration, c net.Conn) (cancel func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	t := x.clk.NewTimer(d)
	wg.Go(func() {
		select {
		case <-t.C():
			c.Close()
		case <-done:
			t.Stop()
		}
	})
	return func() { close(done); wg.Wait() }
}
