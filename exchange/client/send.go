package client

import (
	"context"
	"fmt"

	"mehfooz/exchange/wire"
)

// enqueue hands m to the current connection's writer. With p, the request
// waits for its answer: the caller reads p.done.
func (c *Client) enqueue(ctx context.Context, m wire.Message, p *pending) error {
	if _, err := wire.Append(nil, 1, m); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn == nil {
		return ErrNotConnected
	}
	if p != nil {
		cn.mu.Lock()
		cn.pending = append(cn.pending, p)
		cn.mu.Unlock()
	}
	select {
	case cn.out <- outbound{m: m, p: p}:
		return nil
	case <-cn.quit:
		return ErrNotConnected
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) request(ctx context.Context, m wire.Message, p *pending) (reply, error) {
	p.done = make(chan reply, 1)
	p.kind = m.Kind()
	if err := c.enqueue(ctx, m, p); err != nil {
		return reply{}, err
	}
	select {
	case r := <-p.done:
		return r, r.err
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// Send queues a call message for the exchange to route. env.From must be
// empty: the exchange fills it in from the device certificate. A refusal
// arrives later as a Refused event carrying env.Call.
func (c *Client) Send(ctx context.Context, env wire.Envelope) error {
	return c.enqueue(ctx, &wire.Route{Envelope: env}, nil)
}

// TURN asks for relay credentials for a call with the device to. The caller
// asks before sending its invite, under the call ID it will use; the callee
// asks after the invite arrived. Credentials are short-lived and name this
// device; put them in webrtc.ICEServer with relay-only ICE.
func (c *Client) TURN(ctx context.Context, call wire.CallID, to string) (*wire.TURNGrant, error) {
	r, err := c.request(ctx, &wire.TURNRequest{Call: call, To: to}, &pending{call: call})
	if err != nil {
		return nil, err
	}
	return r.grant, nil
}

// SelfRevoke sends the handset's signed revocation request (made in
// advance with trust/revocation.NewRequest, since the key may be gone) and
// returns once the exchange has blocked the device; the connection then
// ends and Run returns ErrRevoked.
func (c *Client) SelfRevoke(ctx context.Context, request []byte) error {
	_, err := c.request(ctx, &wire.SelfRevoke{Request: request}, &pending{})
	return err
}

// AckWipe tells the exchange the wipe order arrived and is being carried
// out. Send it before wiping: afterwards the device key is gone.
func (c *Client) AckWipe(ctx context.Context, order wire.OrderID) error {
	return c.enqueue(ctx, &wire.WipeAck{Order: order}, nil)
}

// checkWipe verifies a wipe order: form, signature, a technician signed it,
// and it names this device.
func (c *Client) checkWipe(raw []byte, device string) (*wire.WipeOrder, string, error) {
	o, err := wire.ParseWipeOrder(raw)
	if err != nil {
		return nil, "", err
	}
	signer, err := o.Verify()
	if err != nil {
		return nil, "", err
	}
	if err := c.cfg.VerifyTechnician(signer); err != nil {
		return nil, "", fmt.Errorf("wipe order signer %s: %w", signer.Subject.CommonName, err)
	}
	if o.Device != device {
		return nil, "", fmt.Errorf("wipe order for %s delivered to %s", o.Device, device)
	}
	return o, signer.Subject.CommonName, nil
}
