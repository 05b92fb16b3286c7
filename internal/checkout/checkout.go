// Package checkout serves the hosted payment pages: GET /l/{slug} shows a
// link's checkout, POST /l/{slug} pays it, GET /l/{slug}/complete shows the
// receipt. Pages are html/template files embedded in the binary, with no
// third-party assets and no inline style or script: one stylesheet and one
// script are served from this site at content-hashed paths (assets.go).
// Pages work without JavaScript; the script formats the card number and
// shows the brand.
//
// Every page carries a Content-Security-Policy that allows styles and
// scripts from this site only ('self') and frame-ancestors 'none',
// Referrer-Policy no-referrer and Cache-Control no-store. The form is protected by a CSRF token bound to a cookie, and
// declined attempts are limited per client address and per link. The card
// number and security code go to the service and nowhere else: no log, no
// cookie, no URL.
package checkout

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// Options configure a Handler. Zero values pick safe defaults.
type Options struct {
	Logger *slog.Logger
	// Secret keys the CSRF tokens and the receipt links. Replicas that
	// serve the same pages must share it; default: random per process.
	Secret []byte
	// SecureCookies marks the CSRF cookie Secure. Default: only on
	// requests that arrived over TLS.
	SecureCookies bool
	// Limits bound declined payment attempts; zero fields take defaults.
	Limits Limits
	// RateLimiter, when set, keeps the buckets of Limits in the database,
	// shared by every replica on it; server.New sets it when the store is
	// one (PostgreSQL). Default: this process's memory.
	RateLimiter store.RateLimiter
	// ClientIP returns the payer's address for the per-address limit.
	// Default: the host of r.RemoteAddr (set it when behind a proxy).
	ClientIP func(r *http.Request) string
	// Now is the clock of the limits. Default time.Now.
	Now func() time.Time
	// PageCacheBytes bounds the memory of the cache of rendered checkout
	// pages (pagecache.go); default 8 MiB, negative: no cache.
	PageCacheBytes int
}

// Handler serves the hosted pages.
type Handler struct {
	svc      *service.Service
	log      *slog.Logger
	secret   []byte
	secure   bool
	clientIP func(*http.Request) string
	now      func() time.Time
	limits   *attemptLimits
	pages    map[string]*template.Template
	assets   assets
	cache    *pageCache // of checkout pages; nil: none
	// fieldsCache holds the HTML of the checkout form's inputs (fields.go).
	fieldsCache *boundedMap[fieldsKey, template.HTML]
	macs        sync.Pool // of *macState keyed with secret, for sign
}

// New returns the hosted pages over svc.
func New(svc *service.Service, opt Options) *Handler {
	h := &Handler{svc: svc, log: opt.Logger, secret: opt.Secret, secure: opt.SecureCookies, clientIP: opt.ClientIP, now: opt.Now}
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
	if h.now == nil {
		h.now = time.Now
	}
	h.macs.New = func() any { return &macState{mac: hmac.New(sha256.New, h.secret)} }
	h.limits = newAttemptLimits(opt.Limits, opt.RateLimiter, h.log)
	h.assets = loadAssets()
	h.fieldsCache = newBoundedMap[fieldsKey, template.HTML](maxCachedFields)
	switch {
	case opt.PageCacheBytes == 0:
		h.cache = newPageCache(pageCacheEntries, pageCacheBytes)
	case opt.PageCacheBytes > 0:
		h.cache = newPageCache(pageCacheEntries, opt.PageCacheBytes)
	}
	h.pages = make(map[string]*template.Template)
	for _, name := range []string{"checkout", "cart", "receipt", "message"} {
		t := template.New(name).Funcs(template.FuncMap{"fields": h.fields, "dict": dict})
		h.assets.define(t)
		h.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/brand.html", "templates/"+name+".html"))
	}
	return h
}

// dict makes a map of its key, value arguments, for a template to call
// another with several values.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: a key is not a string")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// maxForm is the largest checkout form body read.
const maxForm = 16 << 10

// csrfCookie holds the random value the form's token is bound to.
const csrfCookie = "pl_csrf"

// view is what every page template reads.
type view struct {
	PageTitle string
	Test      bool

	Merchant, Initial  string
	Title, Description string
	AmountText         string
	Currency           string
	Available          bool

	// branding (brand.go): logo and accent stylesheet URLs, support contacts
	LogoURL, BrandCSS, SupportEmail, SupportURL string

	// checkout form
	Action    string
	CancelURL string // "Cancel" goes there when set
	// Quote is the price the page shows as the form carries it
	// (quoteText); the form's token field is Quote "." CSRF, and CSRF
	// signs the quote with the browser's cookie (csrfToken).
	Quote             string
	CSRF              string
	PayerAmount       bool
	AmountPlaceholder string
	Form              formValues
	Errors            map[string]string
	FormError         *formError

	// Cart is the cart of a link that sells one (the "cart" page).
	Cart *cartView
	// ETH is the session's ETH tab; nil when it offers no ETH.
	ETH *ethView

	// receipt; PaidWith names a payment that was not by card ("ETH")
	CardBrand, Last4, Date, ChargeRef, PaidWith string

	// message pages; LinkURL, when set, is a link the page offers (the
	// expired page's fresh checkout)
	Heading, Text, Icon string
	IsError             bool
	LinkURL, LinkText   string
}

// formValues are the typed values a re-rendered form keeps: never the
// card number (only its last four digits and brand, shown beside the empty
// field) and never the security code.
type formValues struct {
	Amount, Email, Exp, Name string
	// CardLast4 and CardBrand describe the card number typed, when it had
	// a card number's length: "0012", "Visa".
	CardLast4, CardBrand string
}

// formError is the message at the top of a re-rendered form: an error
// (a decline), or a notice (Notice: the price changed).
type formError struct {
	Title, Message string
	Notice         bool
}

// Page serves GET /l/{slug}: the checkout, or a page saying why the link
// cannot be paid.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	info, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if info.Cart != nil {
		h.cartPage(w, r, info)
		return
	}
	h.page(w, r, info)
}

// page writes the checkout page of a payable link: 503 when payments are
// not available.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, info *service.CheckoutInfo) {
	h.checkoutPage(w, r, h.checkoutView(r, info), info.Link.Slug, info.Available, formAction(info.Link))
}

// checkoutPage writes the checkout v with a CSRF token for csrfKey and v's
// quote: 503 when payments are not available.
func (h *Handler) checkoutPage(w http.ResponseWriter, r *http.Request, v *view, csrfKey string, available bool, formAction string) {
	v.CSRF = h.csrfToken(w, r, csrfKey, v.Quote)
	status := http.StatusOK
	if !available {
		status = http.StatusServiceUnavailable
	}
	page := "checkout"
	if v.Cart != nil {
		page = "cart"
	}
	h.render(w, r, status, page, v, formAction)
}

// lookup finds the link of the request's slug and writes the 404 or 410
// page when it cannot be paid.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (*service.CheckoutInfo, bool) {
	info, err := h.svc.Checkout(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.errorPage(w, r, nil, err)
		return nil, false
	}
	switch info.Unpayable {
	case "deleted":
		h.notFound(w, r)
		return nil, false
	case "inactive":
		h.message(w, r, http.StatusGone, !info.Link.Livemode, "This link is no longer active",
			"The merchant has turned off this payment link, so it cannot take payments. Nothing was charged. Contact "+info.Merchant+" if you still need to pay.", "info")
		return nil, false
	case "used":
		if info.Link.Multiple { // a link with a limit of payments, reached
			h.message(w, r, http.StatusGone, !info.Link.Livemode, "This link has been paid in full",
				"This payment link takes a limited number of payments and has had them all, so it cannot be paid again. Nothing was charged.", "ok")
			return nil, false
		}
		h.message(w, r, http.StatusGone, !info.Link.Livemode, "This link has already been paid",
			"This was a one-time payment link and it has already been used, so it cannot be paid again. Nothing was charged.", "ok")
		return nil, false
	case "expired":
		if service.RecoveryCart(info.Cart) != nil {
			// after_expiration.recovery: the expired page offers a fresh
			// checkout of the same cart (cart.go, RecoverPage).
			v := &view{PageTitle: "This link has expired", Heading: "This link has expired", Icon: "wait", Test: !info.Link.Livemode,
				Text:     "This payment link was open until a set time and has expired. Nothing was charged. You can still buy the same items in a new checkout.",
				LinkURL:  "/l/" + info.Link.Slug + "/recover",
				LinkText: "Start a new checkout"}
			h.render(w, r, http.StatusGone, "message", v, "'none'")
			return nil, false
		}
		h.message(w, r, http.StatusGone, !info.Link.Livemode, "This link has expired",
			"This payment link was open until a set time and has expired, so it cannot be paid. Nothing was charged. Contact "+info.Merchant+" if you still need to pay.", "wait")
		return nil, false
	}
	return info, true
}

func (h *Handler) checkoutView(r *http.Request, info *service.CheckoutInfo) *view {
	l := info.Link
	lang := r.Header.Get("Accept-Language")
	v := &view{PageTitle: l.Title + " · " + info.Merchant, Test: !l.Livemode, Merchant: info.Merchant,
		Initial: initial(info.Merchant), Title: l.Title, Description: l.Description, Currency: l.Currency,
		Available: info.Available, Action: "/l/" + l.Slug, CancelURL: l.CancelURL, Errors: map[string]string{},
		Quote: quoteText(service.LinkQuote(l))}
	v.setAmount(l.Amount, l.Currency, lang)
	setBrand(v, info.Brand)
	return v
}

// setAmount shows a fixed amount, or asks the payer for one (amount 0) with
// the currency's least amount, written in the payer's locale, as the
// placeholder.
func (v *view) setAmount(amount int64, currency, lang string) {
	if amount > 0 {
		v.AmountText = FormatAmount(amount, currency, lang)
		return
	}
	v.PayerAmount = true
	v.AmountPlaceholder = FormatPlainAmount(paylinks.CurrencyLimits[currency].Min, currency, lang)
}

func initial(name string) string {
	for _, r := range strings.TrimSpace(name) {
		return string(r)
	}
	return "·"
}

// Pay serves POST /l/{slug}: it checks the CSRF token (which signs the
// price the page showed) and the attempt limits, pays the link, and
// redirects (303) to the link's success URL or to the receipt; on a
// decline or invalid input it shows the form again, and when the link's
// price changed since the page was shown it charges nothing and shows the
// new price (409).
func (h *Handler) Pay(w http.ResponseWriter, r *http.Request) {
	info, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if info.Cart != nil {
		h.payCart(w, r, info)
		return
	}
	l := info.Link
	ip, shown, ok := h.admit(w, r, !l.Livemode, l.Slug, l.ID.String(), info.Available, func() {
		h.page(w, r, info) // the page says why, with the link as read
	})
	if !ok {
		return
	}
	declined := false
	defer h.settle(r, ip, &declined)
	lang := r.Header.Get("Accept-Language")
	f, pp, edge := decodePayForm(r.PostForm, l.Amount, l.Currency, lang)
	pp.Slug = l.Slug
	pp.Quote = &shown
	pp.IP = ip
	c, after, err := h.svc.PayLinkWith(r.Context(), l, pp)
	again := func(status int, fe *formError, errs map[string]string) {
		h.payAgain(w, r, h.checkoutView(r, info), l.Slug, formAction(l), status, f, fe, errs)
	}
	var fe service.FieldErrors
	switch {
	case priceChanged(err):
		f = f.forPrice(shown, service.LinkQuote(l))
		again(http.StatusConflict, priceNotice("link", shown, service.LinkQuote(l), lang), nil)
	case errors.As(err, &fe) || (err == nil && len(edge) > 0):
		addFieldErrors(edge, fe)
		again(http.StatusUnprocessableEntity, nil, edge)
	case err != nil:
		if paylinks.KindOf(err) == paylinks.KindConflict {
			again(http.StatusConflict, tryAgain(err), nil)
			return
		}
		h.errorPage(w, r, after, err)
	case !c.Accepted():
		declined = true
		h.limits.decline(r.Context(), l.ID.String(), h.now())
		again(http.StatusPaymentRequired, declineMessage(c), nil)
	case after.SuccessURL != "" && c.SessionID != nil:
		http.Redirect(w, r, withSessionID(after.SuccessURL, *c.SessionID), http.StatusSeeOther)
	case after.SuccessURL != "":
		http.Redirect(w, r, after.SuccessURL, http.StatusSeeOther)
	default:
		http.Redirect(w, r, h.receiptURL(l.Slug, c.ID), http.StatusSeeOther)
	}
}

// admit runs the checks a payment POST of a link or a session passes before
// anything is charged: the form is read, its CSRF token (made for csrfKey)
// is good and signs the price the page showed (returned as shown), payments
// are available (else unavailable writes the page), and the client is
// within the attempt limits of limitKey; then the attempt is counted and a
// decline reserved (settle ends it). When ok is false, the answer is
// written: a token that is missing, forged or bound to another cookie,
// page or price is refused (403) as the same expired page.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, test bool, csrfKey, limitKey string,
	available bool, unavailable func()) (ip string, shown service.Quote, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.message(w, r, http.StatusBadRequest, test, "The form could not be read", "Go back, reload the page and try again.", "info")
		return "", shown, false
	}
	if shown, ok = h.checkCSRF(r, csrfKey); !ok {
		h.message(w, r, http.StatusForbidden, test, "This page has expired",
			"For your security the payment form must be submitted from this site in the same browser session. Reload the page and try again. Nothing was charged.", "info")
		return "", shown, false
	}
	if !available {
		unavailable()
		return "", shown, false
	}
	ip = h.clientIP(r)
	if wait := h.limits.admit(r.Context(), ip, limitKey, h.now()); wait > 0 {
		h.slowDown(w, r, test, wait)
		return "", shown, false
	}
	return ip, shown, true
}

// settle ends an admitted attempt of the client at ip: unless *declined, it
// gives back the decline admit reserved.
func (h *Handler) settle(r *http.Request, ip string, declined *bool) {
	if !*declined {
		h.limits.release(r.Context(), ip, h.now())
	}
}

// payAgain shows the checkout v again after a payment that did not go
// through, with what the payer typed (never the card number nor the
// security code), the form's error fe and the fields' errors, and a fresh
// CSRF token for csrfKey and v's price.
func (h *Handler) payAgain(w http.ResponseWriter, r *http.Request, v *view, csrfKey, formAction string, status int,
	f formValues, fe *formError, errs map[string]string) {
	v.Form, v.FormError = f, fe
	for k, msg := range errs {
		v.Errors[k] = msg
	}
	v.CSRF = h.csrfToken(w, r, csrfKey, v.Quote)
	h.render(w, r, status, "checkout", v, formAction)
}

// addFieldErrors adds the service's field errors to the form's, by form
// field. A field the form could not even parse keeps that error: it says
// what was wrong with what the payer typed.
func addFieldErrors(errs map[string]string, fe service.FieldErrors) {
	for _, e := range fe {
		if k := formField(e.Param); errs[k] == "" {
			errs[k] = e.Message
		}
	}
}

// tryAgain is the form error of a payment refused for a conflict (another
// attempt holds the link or session).
func tryAgain(err error) *formError {
	return &formError{Title: "Please try again in a moment", Message: paylinks.AsError(err).Message + ". Nothing was charged."}
}

// declined is the form error of a declined card.
func declineMessage(c *paylinks.Charge) *formError {
	return &formError{Title: "Your card was declined", Message: c.FailureMessage}
}

// receiptView is the receipt of the paid charge c, of a link or a session
// titled title; its reference is the charge's id as the Omise dialect
// names it.
func receiptView(r *http.Request, merchant, title string, c *paylinks.Charge) *view {
	prefix := "chrg_test_"
	if c.Livemode {
		prefix = "chrg_"
	}
	v := &view{PageTitle: "Payment successful · " + merchant, Test: !c.Livemode, Merchant: merchant,
		Initial: initial(merchant), Title: title, AmountText: FormatAmount(c.Amount, c.Currency, r.Header.Get("Accept-Language")),
		CardBrand: c.Card.Brand, Last4: c.Card.LastDigits, Date: c.CreatedAt.UTC().Format("2 January 2006, 15:04 UTC"),
		ChargeRef: prefix + paylinks.FormatBase36(c.ID)}
	if c.SourceType == service.CryptoSourceType {
		v.CardBrand, v.Last4, v.PaidWith = "", "", "ETH" // an ETH payment has no card
	}
	return v
}

// decodePayForm reads the checkout form of a price amount in currency
// (amount 0: the payer types it, in the page's locale, from the payer's
// Accept-Language lang) into the service's parameters. edge holds the
// errors of fields that could not even be parsed (the amount, the expiry),
// by form field; the service checks everything else. The values kept for a
// re-rendered form hold the card number's last four digits and brand only.
func decodePayForm(form url.Values, amount int64, currency, lang string) (formValues, service.PayParams, map[string]string) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	number := get("number")
	f := formValues{Amount: get("amount"), Email: get("email"), Exp: get("exp"), Name: get("name")}
	if d, ok := payments.NormalizeNumber(number); ok {
		f.CardLast4, f.CardBrand = d[len(d)-4:], brandName(d)
	}
	edge := map[string]string{}
	pp := service.PayParams{Email: f.Email, Card: service.CardInput{Number: number, SecurityCode: get("csc"), Name: f.Name}}
	if amount == 0 {
		typed, err := ParseAmount(f.Amount, currency, lang)
		if err != nil {
			edge["amount"] = err.Error()
		}
		pp.Amount = typed
	}
	if m, y, ok := ParseExpiry(f.Exp); ok {
		pp.Card.ExpirationMonth, pp.Card.ExpirationYear = m, y
	} else {
		edge["exp"] = "Enter the expiry date as MM / YY."
	}
	return f, pp, edge
}

// formField maps a service parameter to the form field that shows it.
func formField(param string) string {
	switch param {
	case "expiration_month", "expiration_year":
		return "exp"
	case "security_code":
		return "csc"
	}
	return param
}

// Receipt serves GET /l/{slug}/complete: the receipt of a charge, reachable
// only through the signed link the payment redirected to.
func (h *Handler) Receipt(w http.ResponseWriter, r *http.Request) {
	info, err := h.svc.Checkout(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.errorPage(w, r, nil, err)
		return
	}
	l := info.Link
	if l.Deleted() {
		h.notFound(w, r)
		return
	}
	id, err := paylinksParseID(r.URL.Query().Get("charge"))
	if err != nil || !hmac.Equal([]byte(r.URL.Query().Get("sig")), []byte(h.sign("receipt", l.Slug, id.String()))) {
		h.notFound(w, r)
		return
	}
	c, err := h.svc.LinkCharge(r.Context(), l, id)
	if err != nil || !c.Accepted() {
		h.notFound(w, r)
		return
	}
	rv := receiptView(r, info.Merchant, l.Title, c)
	setBrand(rv, info.Brand)
	h.render(w, r, http.StatusOK, "receipt", rv, "'none'")
}

func paylinksParseID(s string) (paylinks.ID, error) {
	id, ok := paylinks.ParseBase36(s)
	if !ok {
		return paylinks.ID{}, errors.New("bad id")
	}
	return id, nil
}

func (h *Handler) receiptURL(slug string, id paylinks.ID) string {
	return "/l/" + slug + "/complete?" + url.Values{"charge": {paylinks.FormatBase36(id)},
		"sig": {h.sign("receipt", slug, id.String())}}.Encode()
}

// NotFound serves any other path under /l/.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) { h.notFound(w, r) }

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, false, "Payment link not found",
		"This payment link does not exist or has been removed. Check the address, or ask the merchant for a new link.", "info")
}

func (h *Handler) slowDown(w http.ResponseWriter, r *http.Request, test bool, wait time.Duration) {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	h.message(w, r, http.StatusTooManyRequests, test, "Too many attempts",
		fmt.Sprintf("There have been too many declined payment attempts. For your security, please wait %s before trying again. Nothing was charged.", humanWait(wait)), "wait")
}

func humanWait(d time.Duration) string {
	switch m := int(d.Round(time.Minute) / time.Minute); {
	case d < 90*time.Second:
		return "a minute"
	default:
		return strconv.Itoa(m) + " minutes"
	}
}

// errorPage shows the page of a service error: 404, 410, 503 or a generic
// 500 (logged with the request id).
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, l *paylinks.Link, err error) {
	test := l != nil && !l.Livemode
	if errors.Is(err, service.ErrPaymentNotRecorded) {
		h.log.ErrorContext(r.Context(), "checkout: payment not confirmed yet", "path", r.URL.Path, "err", err)
		h.message(w, r, http.StatusInternalServerError, test, "Your payment is being confirmed",
			"Your payment could not be confirmed yet. It will be settled within a few minutes: please do not pay again. If you need help, quote "+api.RequestID(r.Context())+".", "wait")
		return
	}
	switch paylinks.KindOf(err) {
	case paylinks.KindNotFound:
		h.notFound(w, r)
	case paylinks.KindGone:
		if e := paylinks.AsError(err); e.Code == "link_used" {
			h.message(w, r, http.StatusGone, test, "This link has already been paid",
				"This was a one-time payment link and it has already been used, so it cannot be paid again. Nothing was charged.", "ok")
			return
		}
		h.message(w, r, http.StatusGone, test, "This link is no longer active",
			"The merchant has turned off this payment link, so it cannot take payments. Nothing was charged.", "info")
	case paylinks.KindUnavailable:
		h.message(w, r, http.StatusServiceUnavailable, test, "Payments are not available",
			"This merchant cannot take card payments right now. Nothing was charged. Please try again later.", "info")
	default:
		// err never holds card data: the service does not put it in errors.
		h.log.ErrorContext(r.Context(), "checkout: request failed", "path", r.URL.Path, "err", err)
		h.message(w, r, http.StatusInternalServerError, test, "Something went wrong",
			"We could not complete this request. Nothing was charged. Please try again; if it keeps happening, quote "+api.RequestID(r.Context())+".", "info")
	}
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, test bool, heading, text, icon string) {
	v := &view{PageTitle: heading, Heading: heading, Text: text, Icon: icon, Test: test, IsError: status >= 500}
	h.render(w, r, status, "message", v, "'none'")
}

// render writes a page with the security headers. formAction is the CSP
// form-action source list of the page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view, formAction string) {
	hd := w.Header()
	for _, kv := range pageHeaders {
		hd[kv.key] = kv.value
	}
	switch {
	case name == "cart":
		// The cart page's script asks this site for quotes (cart.go).
		hd.Set("Content-Security-Policy", "connect-src 'self'; "+pageCSP(formAction))
	case v != nil && v.ETH != nil:
		// The ETH tab's script asks this site for the session's status.
		hd.Set("Content-Security-Policy", strings.Replace(pageCSP(formAction), "default-src 'none';",
			"default-src 'none'; connect-src 'self';", 1))
	case formAction == "'self'":
		hd["Content-Security-Policy"] = selfCSPHeader
	default:
		hd.Set("Content-Security-Policy", pageCSP(formAction))
	}
	b := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= maxPooledPage {
			b.Reset()
			pageBuffers.Put(b)
		}
	}()
	if err := h.execute(b, name, v); err != nil {
		h.log.ErrorContext(r.Context(), "checkout: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// execute writes the page name of v to b: a checkout page from the page
// cache when it is there, else by its template (and offered to the cache).
func (h *Handler) execute(b *bytes.Buffer, name string, v *view) error {
	t := h.pages[name]
	if name != "checkout" || h.cache == nil || !h.cache.fits(v.CSRF) {
		return t.ExecuteTemplate(b, "layout", v)
	}
	k, ok := cacheKey(v)
	if !ok {
		return t.ExecuteTemplate(b, "layout", v)
	}
	if h.cache.write(b, k, v.CSRF) {
		return nil
	}
	token := v.CSRF
	v.CSRF = h.cache.token
	err := t.ExecuteTemplate(b, "layout", v)
	v.CSRF = token
	if err != nil {
		return err
	}
	page := b.Bytes()
	i := bytes.Index(page, h.cache.tokenBytes)
	switch {
	case i < 0:
		return nil // no form (payments unavailable): the page as it is
	case bytes.Contains(page[i+len(token):], h.cache.tokenBytes):
		// Not expected (the template writes the token once): the page
		// with the request's token, not cached.
		b.Reset()
		return t.ExecuteTemplate(b, "layout", v)
	}
	h.cache.add(k, page[:i], page[i+len(token):])
	copy(page[i:], token) // the same length, by fits
	return nil
}

// pageBuffers hold pages while they are rendered, so that each is written
// at once with its length. A checkout page is about 15 KB; a buffer grown
// past maxPooledPage is left to the collector.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledPage = 64 << 10

// formAction is the CSP form-action of a checkout page: this site, and the
// origin of the link's success URL, which the payment redirects to.
func formAction(l *paylinks.Link) string { return formActionURL(l.SuccessURL) }

// formActionURL is the CSP form-action of a page whose payment redirects
// to successURL.
func formActionURL(successURL string) string {
	fa := "'self'"
	if u, err := url.Parse(successURL); err == nil && successURL != "" && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		fa += " " + u.Scheme + "://" + u.Host
	}
	return fa
}

// pageHeaders are the headers of every page but its CSP and length, by
// canonical key. Their value slices are shared by every response, so they
// are set, never modified (and, of length = capacity, an Add copies them).
var pageHeaders = []struct {
	key   string
	value []string
}{
	{"Content-Type", []string{"text/html; charset=utf-8"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cache-Control", []string{"no-store"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=()"}},
}

// selfCSPHeader is the shared value of pageCSP("'self'"), the CSP of
// most pages.
var selfCSPHeader = []string{selfCSP}

// pageCSP is the Content-Security-Policy of a page whose form posts to
// formAction: styles and scripts from this site's assets only, images
// from this site (the merchant's logo) and as data: URLs (the favicon),
// nothing else.
func pageCSP(formAction string) string {
	if formAction == "'self'" {
		return selfCSP
	}
	return cspBefore + formAction + cspAfter
}

const (
	cspBefore = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action "
	cspAfter  = "; frame-ancestors 'none'; base-uri 'none'"
	selfCSP   = cspBefore + "'self'" + cspAfter
)

// macState is an HMAC keyed with the handler's secret and a buffer for
// its input, reused across requests through Handler.macs.
type macState struct {
	mac hash.Hash
	buf []byte
}

// sign returns an HMAC of the parts with the handler's secret.
func (h *Handler) sign(parts ...string) string {
	st := h.macs.Get().(*macState)
	defer h.macs.Put(st)
	st.mac.Reset()
	b := st.buf[:0]
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	st.mac.Write(b)
	st.buf = st.mac.Sum(b[:0]) // b is written: reuse it for the sum
	var out [43]byte           // base64 of a SHA-256 sum, unpadded
	return string(base64.RawURLEncoding.AppendEncode(out[:0], st.buf))
}

// csrfToken returns the form token for the slug and the quote the page
// shows, bound to the browser's CSRF cookie, setting a new cookie when
// there is none. The form sends quote "." token back (checkCSRF).
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request, slug, quote string) string {
	val := ""
	if c, err := r.Cookie(csrfCookie); err == nil && validCookieValue(c.Value) {
		val = c.Value
	} else {
		var b [24]byte
		rand.Read(b[:])
		val = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: val, Path: "/", HttpOnly: true,
			Secure: h.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	return h.sign("csrf", val, slug, quote)
}

func validCookieValue(v string) bool {
	var b [24]byte
	if len(v) != base64.RawURLEncoding.EncodedLen(len(b)) {
		return false
	}
	n, err := base64.RawURLEncoding.Decode(b[:], []byte(v))
	return err == nil && n == len(b)
}

// checkCSRF reports whether a POST carries a token of its cookie, for the
// slug, and is not a cross-site request; the token's quote is the price the
// page showed. A token without a quote, or whose quote was changed, is
// refused like a forged one.
func (h *Handler) checkCSRF(r *http.Request, slug string) (service.Quote, bool) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return service.Quote{}, false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCookieValue(c.Value) {
		return service.Quote{}, false
	}
	field := r.PostFormValue("csrf")
	i := strings.LastIndexByte(field, '.')
	if i < 0 {
		return service.Quote{}, false
	}
	quote, token := field[:i], field[i+1:]
	want := h.sign("csrf", c.Value, slug, quote)
	if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return service.Quote{}, false
	}
	return parseQuote(quote) // signed by this server: fails only if the format changed
}
