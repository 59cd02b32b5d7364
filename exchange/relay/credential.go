package relay

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/turn/v5"
)

// restSecret mints and checks TURN REST credentials
// (draft-uberti-behave-turn-rest-00 §2.2): the username is
// "<expiry, Unix seconds>:<device>:<call>" and the password
// base64(HMAC-SHA1(secret, username)). pion/turn has helpers for this, but
// they take the shared secret as a Go string, which cannot be wiped; here
// it is a byte slice that Wipe zeroes when the relay closes.
type restSecret struct {
	mu  sync.RWMutex
	key []byte // nil once wiped: every check fails, every mint fails
}

func (s *restSecret) password(username string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil {
		return "", false
	}
	mac := hmac.New(sha1.New, s.key)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), true
}

// mint returns a credential for id valid until now+ttl.
func (s *restSecret) mint(id string, now time.Time, ttl time.Duration) (user, pass string, ok bool) {
	user = strconv.FormatInt(now.Add(ttl).Unix(), 10) + ":" + id
	pass, ok = s.password(user)
	return user, pass, ok
}

// check is the TURN server's long-term credential lookup (RFC 8489 §9.2):
// for an unexpired username minted here it returns the device (the field
// after the expiry) and the key MD5(username:realm:password).
func (s *restSecret) check(username, realm string, now time.Time) (device string, key []byte, ok bool) {
	expiry, id, found := strings.Cut(username, ":")
	if !found {
		return "", nil, false
	}
	t, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || t < now.Unix() {
		return "", nil, false
	}
	pass, ok := s.password(username)
	if !ok {
		return "", nil, false
	}
	device, _, _ = strings.Cut(id, ":")
	return device, turn.GenerateAuthKey(username, realm, pass), true
}

// Wipe zeroes the secret.
func (s *restSecret) Wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.key)
	s.key = nil
}
