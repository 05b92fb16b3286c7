// Package dashboard serves the merchant dashboard under /dashboard: sign-in
// with a one-time setup link, the links (list, create, detail with share
// URL and QR code) and the payments (list, detail, refund) of the signed-in
// user's account, in test or live mode.
//
// Pages are html/template files embedded in the binary. They need no
// script: every action is a form. Each response carries a strict
// Content-Security-Policy whose only style source is a per-response nonce
// (the stylesheet is inline) and no script source at all. Every form
// carries a CSRF token, an HMAC with the server secret bound to the session
// (or, before sign-in, to a random cookie). Every action calls the service:
// a viewer's principal lacks the write scopes, so the service refuses its
// writes whatever a page shows.
package dashboard

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

//go:embed templates/*.html templates/*.css
var templateFS embed.FS

// Options configure a Handler. Zero values pick safe defaults.
type Options struct {
	Logger *slog.Logger
	// PublicURL is the base of the share URLs of links.
	PublicURL string
	// Secret keys the CSRF tokens; replicas must share it (server.New
	// passes the checkout's server secret). Default: random per process.
	Secret []byte
	// SecureCookies marks the cookies Secure. Default: only on requests
	// that arrived over TLS.
	SecureCookies bool
	// RateLimiter, when set, keeps the sign-in limits in the database,
	// shared by every replica (PostgreSQL). Default: this process's memory.
	RateLimiter store.RateLimiter
	// ClientIP returns the client's address for the per-address sign-in
	// limit. Default: the host of r.RemoteAddr.
	ClientIP func(r *http.Request) string
	// Limits bound sign-in attempts; zero fields take the defaults.
	Limits Limits
}

// Limits bound sign-in attempts, per email and per client address, as token
// buckets: a burst, refilled one attempt per interval.
type Limits struct {
	PerUser      int
	UserEvery    time.Duration
	PerAddress   int
	AddressEvery time.Duration
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{PerUser: 5, UserEvery: time.Minute, PerAddress: 20, AddressEvery: 15 * time.Second}

// Handler serves the dashboard.
type Handler struct {
	svc       *service.Service
	log       *slog.Logger
	publicURL string
	secret    []byte
	secure    bool
	clientIP  func(*http.Request) string
	limits    *signInLimits
	pages     map[string]*template.Template
	css       template.CSS
}

// New returns the dashboard over svc.
func New(svc *service.Service, opt Options) *Handler {
	h := &Handler{svc: svc, log: opt.Logger, publicURL: opt.PublicURL, secret: opt.Secret, secure: opt.SecureCookies,
		clientIP: opt.ClientIP}
	if h.log == nil {
		h.log = slog.Default()
	}
	if len(h.secret) == 0 {
		h.secret = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, h.secret); err != nil {
			panic(err)
		}
	}
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	h.limits = newSignInLimits(opt.Limits, opt.RateLimiter, h.log)
	css, err := templateFS.ReadFile("templates/dashboard.css")
	if err != nil {
		panic(err)
	}
	h.css = template.CSS(css)
	funcs := template.FuncMap{
		"money":   formatMoney,
		"date":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04") },
		"id":      paylinks.FormatBase36,
		"idp":     func(id *paylinks.ID) string { return paylinks.FormatBase36(*id) },
		"decimal": paylinks.FormatDecimal,
		"status":  chargeStatus,
		"sid":     paylinks.FormatSessionID,
		"isodate": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}
	h.pages = map[string]*template.Template{}
	for _, name := range []string{"signin", "setup", "links", "link_new", "link", "payments", "payment", "message",
		"link_edit", "link_delete", "charge_op", "sessions", "home"} {
		t := template.New(name).Funcs(funcs)
		h.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/charges.html", "templates/session_rows.html", "templates/"+name+".html"))
	}
	h.parseLanePages(funcs)
	return h
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// chargeStatus names a charge's state for a person: an authorization
// waiting for its capture is "authorized".
func chargeStatus(c paylinks.Charge) string {
	if c.Status == paylinks.ChargePending && c.AuthorizedAmount > 0 {
		return "authorized"
	}
	return string(c.Status)
}

func formatMoney(amount int64, currency string) string {
	return paylinks.FormatDecimal(amount, currency) + " " + currency
}

// Cookie names. The session cookie is scoped to /dashboard.
const (
	sessionCookie = "pl_dash"
	preCookie     = "pl_dash_pre" // binds the CSRF token of the sign-in and setup forms
	modeCookie    = "pl_dash_mode"
)

// maxForm is the largest form body read.
const maxForm = 16 << 10

// view is what every page template reads.
type view struct {
	PageTitle string
	Nonce     string
	CSS       template.CSS
	CSRF      string
	User      *paylinks.User
	Live      bool
	Nav       string // "home", "links", "payments" or "sessions"
	Owner     bool
	// Script: the page carries the script of live updates (a nonce'd
	// script-src and connect-src 'self' in its CSP); no other page may run
	// a script.
	Script bool

	Errors map[string]string // by form field
	Error  string            // at the top of the page
	Notice string
	Form   map[string]string

	// message page
	Heading, Text string

	Data any
}

// session is a signed-in request's user and mode.
type session struct {
	user *paylinks.User
	sess *paylinks.UserSession
	live bool
	pr   paylinks.Principal
}

// Authed wraps a page that needs a signed-in user: without a valid
// session it redirects to the sign-in page (303). A POST must carry the
// session's CSRF token (403 otherwise).
func (h *Handler) Authed(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, "/dashboard/signin", http.StatusSeeOther)
			return
		}
		u, sess, err := h.svc.UserSession(r.Context(), c.Value)
		if err != nil {
			if paylinks.KindOf(err) == paylinks.KindUnauthenticated {
				h.clearCookie(w, r, sessionCookie)
				http.Redirect(w, r, "/dashboard/signin", http.StatusSeeOther)
				return
			}
			h.fail(w, r, nil, err)
			return
		}
		live := false
		if m, err := r.Cookie(modeCookie); err == nil && m.Value == "live" {
			live = true
		}
		s := &session{user: u, sess: sess, live: live, pr: service.UserPrincipal(u, live)}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(h.sign("session", s.sess.ID.String()))) {
				h.message(w, r, s, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
				return
			}
		}
		fn(w, r, s)
	}
}

// newView returns the view of a page of a signed-in user (s may be nil).
func (h *Handler) newView(s *session, title string) *view {
	v := &view{PageTitle: title + " · paylinks", CSS: h.css, Form: map[string]string{}, Errors: map[string]string{}}
	if s != nil {
		v.User, v.Live, v.Owner = s.user, s.live, s.user.Role == paylinks.RoleOwner
		v.CSRF = h.sign("session", s.sess.ID.String())
	}
	return v
}

// render writes a page with the security headers and a fresh CSP nonce.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var n [18]byte
	rand.Read(n[:])
	v.Nonce = base64.RawStdEncoding.EncodeToString(n[:])
	var b bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&b, "layout", v); err != nil {
		h.log.ErrorContext(r.Context(), "dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	script := ""
	if v.Script {
		// The page's one script, allowed by its nonce, polls this origin.
		script = "script-src 'nonce-" + v.Nonce + "'; connect-src 'self'; "
	}
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+v.Nonce+"'; "+script+"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// message writes a page with a heading and a sentence.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, s *session, status int, heading, text string) {
	v := h.newView(s, heading)
	v.Heading, v.Text = heading, text
	h.render(w, r, status, "message", v)
}

// NotFound answers a /dashboard path no route takes.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, nil, http.StatusNotFound, "Page not found", "There is no dashboard page at this address.")
}

// fail answers a service error as a page with its status; internal errors
// are logged and shown as a generic message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	e := paylinks.AsError(err)
	switch paylinks.KindOf(err) {
	case paylinks.KindNotFound:
		h.message(w, r, s, http.StatusNotFound, "Not found", e.Message)
	case paylinks.KindForbidden:
		h.message(w, r, s, http.StatusForbidden, "Not allowed", "Your role in this account cannot do this; ask an owner.")
	case paylinks.KindConflict, paylinks.KindGone:
		h.message(w, r, s, http.StatusConflict, "Not possible now", e.Message)
	case paylinks.KindInvalid:
		h.message(w, r, s, http.StatusBadRequest, "Not valid", e.Message)
	case paylinks.KindPayment:
		h.message(w, r, s, http.StatusPaymentRequired, "Refused by the processor", e.Message)
	default:
		h.log.ErrorContext(r.Context(), "dashboard", "path", r.URL.Path, "err", err)
		h.message(w, r, s, http.StatusInternalServerError, "Something went wrong", "The error was logged. Try again in a moment.")
	}
}

// sign returns an HMAC of the parts with the handler's secret.
func (h *Handler) sign(parts ...string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("dashboard"))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) secureCookie(r *http.Request) bool { return h.secure || r.TLS != nil }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/dashboard", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.secureCookie(r), MaxAge: int(maxAge / time.Second)})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/dashboard", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.secureCookie(r), MaxAge: -1})
}

// preToken returns the CSRF token of a form shown before sign-in, bound to
// the browser's pre-session cookie (set when missing).
func (h *Handler) preToken(w http.ResponseWriter, r *http.Request) string {
	val := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 32 {
		val = c.Value
	} else {
		var b [24]byte
		rand.Read(b[:])
		val = base64.RawURLEncoding.EncodeToString(b[:])
		h.setCookie(w, r, preCookie, val, 0)
	}
	return h.sign("pre", val)
}

// checkPre parses a pre-sign-in form and reports whether its CSRF token
// matches the browser's cookie.
func (h *Handler) checkPre(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return false
	}
	c, err := r.Cookie(preCookie)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(h.sign("pre", c.Value)))
}

// fieldErrors fills v.Errors (or v.Error) from a KindInvalid error and
// reports whether err was one.
func fieldErrors(v *view, err error) bool {
	var e *paylinks.Error
	if !errors.As(err, &e) || e.Kind != paylinks.KindInvalid {
		return false
	}
	if e.Param != "" {
		v.Errors[e.Param] = e.Message
	} else {
		v.Error = e.Message
	}
	return true
}
