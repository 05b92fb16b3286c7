package checkout

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/yeqown/go-qrcode/v2"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// The ETH tab of a session's page: the exact amount, the deposit address
// with copy buttons, a QR code of the EIP-681 payment URI, the time left
// and the status. The status updates by itself (checkout.js polls GET
// /c/{id}/status) and a reload shows it without JavaScript; on an accepted
// payment the page goes on to the success URL or the receipt. In test mode
// a button (POST /c/{id}/simulate) sends the quote through the same state
// machine the chain watcher feeds.

// ethView is what the ETH tab shows.
type ethView struct {
	Eth, Wei, Address, URI string
	ChainID                uint64
	QR                     template.HTML
	// URIHref is URI as a link target: html/template would refuse the
	// ethereum: scheme from a string.
	URIHref                template.URL
	Status, StatusText     string
	ReceivedEth            string
	ExpiresAt              string // RFC 3339, for the script's countdown
	TimeLeft               string
	StatusURL, SimulateURL string
	Open                   bool // still takes a payment (pending, detected, underpaid)
}

// statusTexts say what each crypto status means to the payer.
var statusTexts = map[paylinks.CryptoStatus]string{
	paylinks.CryptoPending:   "Waiting for your payment.",
	paylinks.CryptoDetected:  "Payment seen on the network; waiting for confirmations.",
	paylinks.CryptoPaid:      "Paid. Thank you!",
	paylinks.CryptoPaidLate:  "Paid after the quote expired; accepted. Thank you!",
	paylinks.CryptoOverpaid:  "Paid, more than the amount due. The merchant will be in touch about the difference.",
	paylinks.CryptoUnderpaid: "Less than the amount due has arrived. Send the rest to the same address.",
	paylinks.CryptoExpired:   "This quote has expired. Nothing was received.",
	paylinks.CryptoFailed:    "The payment arrived too late to be accepted. The merchant will be in touch.",
}

func newEthView(s *paylinks.CheckoutSession, now time.Time) *ethView {
	c := s.Crypto
	if c == nil {
		return nil
	}
	wei, _ := new(big.Int).SetString(c.QuoteWei, 10)
	if wei == nil {
		return nil
	}
	received, _ := new(big.Int).SetString(c.ReceivedWei, 10)
	if received == nil {
		received = new(big.Int)
	}
	id := paylinks.FormatSessionID(s.ID)
	v := &ethView{Eth: service.FormatEther(wei), Wei: c.QuoteWei, Address: c.Address, ChainID: c.ChainID,
		URI: service.PaymentURI(c), Status: string(c.Status), StatusText: statusTexts[c.Status],
		ReceivedEth: service.FormatEther(received), ExpiresAt: s.ExpiresAt.UTC().Format(time.RFC3339),
		StatusURL: "/c/" + id + "/status", Open: c.Status == paylinks.CryptoPending || c.Status == paylinks.CryptoDetected ||
			c.Status == paylinks.CryptoUnderpaid}
	if !s.Livemode && v.Open {
		v.SimulateURL = "/c/" + id + "/simulate"
	}
	if left := s.ExpiresAt.Sub(now); left > 0 {
		v.TimeLeft = fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	}
	v.URIHref = template.URL(v.URI) // built here from a checksummed address and integers only
	v.QR, _ = qrSVG(v.URI)          // no QR code rather than no page
	return v
}

// qrSVG returns the QR code of text as an inline SVG with its quiet zone.
func qrSVG(text string) (template.HTML, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	var m qrMatrix
	if err := q.Save(&m); err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	const quiet = 4
	n := len(m.bits) + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" id="eth-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="QR code of the payment" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#1a1f36" d="`, n, n, n, n)
	for y, row := range m.bits {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

type qrMatrix struct{ bits [][]bool }

func (w *qrMatrix) Write(mat qrcode.Matrix) error { w.bits = mat.Bitmap(); return nil }
func (w *qrMatrix) Close() error                  { return nil }

// sessionStatus is the answer of GET /c/{id}/status.
type sessionStatus struct {
	Status      string `json:"status"`
	StatusText  string `json:"statusText"`
	ReceivedEth string `json:"receivedEth"`
	// Next is where the page goes once the payment is accepted.
	Next string `json:"next,omitempty"`
}

// SessionStatus serves GET /c/{id}/status: the session's crypto status,
// for the page's script.
func (h *Handler) SessionStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := paylinks.ParseSessionID(r.PathValue("id"))
	var info *service.SessionInfo
	var err error
	if ok {
		info, err = h.svc.SessionCheckout(r.Context(), id)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if !ok || paylinks.KindOf(err) == paylinks.KindNotFound || (err == nil && info.Session.Crypto == nil) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"not_found"}`))
		return
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "checkout: session status", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":"internal"}`))
		return
	}
	s := info.Session
	v := newEthView(s, h.svc.Now())
	out := sessionStatus{Status: v.Status, StatusText: v.StatusText, ReceivedEth: v.ReceivedEth}
	if s.Crypto.Status.Accepted() {
		out.Next = sessionNext(s)
	}
	json.NewEncoder(w).Encode(out)
}

// sessionNext is where a paid session's page goes: the success URL with
// session_id, else the receipt.
func sessionNext(s *paylinks.CheckoutSession) string {
	if s.SuccessURL != "" {
		return withSessionID(s.SuccessURL, s.ID)
	}
	return "/c/" + paylinks.FormatSessionID(s.ID) + "/complete"
}

// SimulateSession serves POST /c/{id}/simulate (test mode): the page's
// "Simulate payment" button. It checks the form's CSRF token and goes back
// to the page (303), which then shows the new status.
func (h *Handler) SimulateSession(w http.ResponseWriter, r *http.Request) {
	id, ok := paylinks.ParseSessionID(r.PathValue("id"))
	if !ok {
		h.sessionNotFound(w, r)
		return
	}
	action := "/c/" + paylinks.FormatSessionID(id)
	if err := r.ParseForm(); err != nil {
		h.message(w, r, http.StatusBadRequest, true, "Something went wrong", "The form could not be read. Go back and try again.", "info")
		return
	}
	if _, ok := h.checkCSRF(r, action); !ok {
		h.message(w, r, http.StatusForbidden, true, "This page has expired",
			"Reload the checkout page and try again.", "info")
		return
	}
	if err := h.svc.SimulatePagePayment(r.Context(), id); err != nil {
		switch paylinks.KindOf(err) {
		case paylinks.KindNotFound:
			h.sessionNotFound(w, r)
		case paylinks.KindForbidden, paylinks.KindConflict:
			h.message(w, r, http.StatusConflict, true, "Cannot simulate a payment", paylinks.AsError(err).Message, "info")
		default:
			h.errorPage(w, r, nil, err)
		}
		return
	}
	http.Redirect(w, r, action, http.StatusSeeOther)
}
