package exchange

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"mehfooz/exchange/admin"
	"mehfooz/exchange/store"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
)

// FuzzTechnicianAPI sends arbitrary bodies and queries to every technician
// endpoint as an admitted technician: each must answer with a status, never
// panic, and a refused request must change nothing.
func FuzzTechnicianAPI(f *testing.F) {
	fl := trusttest.NewAt(f, time.Now())
	st, err := store.Open(filepath.Join(f.TempDir(), "x.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	xk, _ := ca.NewKey()
	xc, _ := fl.CA.IssueExchange(&xk.PublicKey, []string{"exchange.test"}, 0)
	x, err := New(Config{Verifier: fl.Verifier, Store: st, Certificate: tls.Certificate{Certificate: [][]byte{xc.Raw}, PrivateKey: xk}})
	if err != nil {
		f.Fatal(err)
	}
	tk, _ := ca.NewKey()
	tc, _ := fl.CA.IssueTechnician("tech-one", &tk.PublicKey, 0)
	h := x.adminServer(f.Context()).Handler
	paths := []string{admin.PathDevices, admin.PathDirectory, admin.PathRevocations, admin.PathWipes, admin.PathAudit}

	dev := fl.Enroll("pk-0001")
	f.Add(uint8(0), []byte(ca.EncodeCertificatePEM(dev.Cert)), "")
	f.Add(uint8(1), fl.SignDirectory(fl.Directory()), "")
	f.Add(uint8(2), fl.SignRevocations(fl.Revocations()), "")
	f.Add(uint8(3), []byte{1, 2, 3}, "")
	f.Add(uint8(4), []byte(nil), "after=3&limit=2")
	f.Fuzz(func(t *testing.T, which uint8, body []byte, query string) {
		path := paths[int(which)%len(paths)]
		method := http.MethodPost
		if path == admin.PathAudit {
			method = http.MethodGet
		}
		r := httptest.NewRequest(method, "https://exchange.test"+path, bytes.NewReader(body))
		r.URL.RawQuery = query
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK && (w.Code < 400 || w.Code > 499) {
			t.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body)
		}
	})
}
