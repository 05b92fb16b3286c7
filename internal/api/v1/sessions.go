package v1

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// sessionView is the CheckoutSession object.
type sessionView struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	Status      string            `json:"status"`
	LinkID      *string           `json:"linkId"`
	Fiat        fiatView          `json:"fiat"`
	URL         string            `json:"url"`
	SuccessURL  *string           `json:"successUrl"`
	CancelURL   *string           `json:"cancelUrl"`
	ExpiresAt   string            `json:"expiresAt"`
	CompletedAt *string           `json:"completedAt"`
	CreatedAt   string            `json:"createdAt"`
	Metadata    map[string]string `json:"metadata"`
	// Cart is what the payer bought through a link that sells a cart,
	// null otherwise. Amounts are decimal strings in fiat.currency.
	Cart *sessionCartView `json:"cart"`

	// The ETH quote and payment, present when the session offers ETH.
	PaymentMethods []string      `json:"paymentMethods,omitempty"`
	Amount         *cryptoAmount `json:"amount,omitempty"`
	EthPrice       string        `json:"ethPrice,omitempty"`
	EthPriceUSD    string        `json:"ethPriceUsd,omitempty"`
	EthCurrency    string        `json:"ethPriceCurrency,omitempty"`
	Rate           *rateView     `json:"rate,omitempty"`
	Spread         string        `json:"spread,omitempty"`
	Address        string        `json:"address,omitempty"`
	ChainID        uint64        `json:"chainId,omitempty"`
	PaymentURI     string        `json:"paymentUri,omitempty"`
	Confirmations  int           `json:"confirmations,omitempty"`
	ReceivedWei    string        `json:"receivedWei,omitempty"`
	TxHash         *string       `json:"txHash,omitempty"`
	TxHashes       []string      `json:"txHashes,omitempty"`
	PaidAt         *string       `json:"paidAt,omitempty"`
}

type cryptoAmount struct {
	Wei string `json:"wei"`
	Eth string `json:"eth"`
}

type rateView struct {
	Sources []string `json:"sources"`
	At      string   `json:"at"`
	Fixed   bool     `json:"fixed"`
}

// percent renders basis points as a percentage: 150 is "1.5".
func percent(bps int) string {
	s := fmt.Sprintf("%d.%02d", bps/100, bps%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// cryptoView fills the ETH fields of a session that offers ETH. Its status
// is then the crypto one (pending, detected, paid, …), unless a card paid
// it (complete).
func cryptoView(v *sessionView, s *paylinks.CheckoutSession) {
	c := s.Crypto
	if c == nil {
		return
	}
	if !(s.Status == paylinks.SessionComplete && !c.Status.Accepted()) {
		v.Status = string(c.Status)
	}
	wei, _ := new(big.Int).SetString(c.QuoteWei, 10)
	if wei == nil {
		wei = new(big.Int)
	}
	v.PaymentMethods = []string{"card", "eth"}
	v.Amount = &cryptoAmount{Wei: c.QuoteWei, Eth: service.FormatEther(wei)}
	v.EthPrice, v.EthCurrency = c.EthPrice, s.Currency
	if s.Currency == "USD" {
		v.EthPriceUSD = c.EthPrice
	}
	v.Rate = &rateView{Sources: c.RateSources, At: formatTime(c.RateAt), Fixed: c.RateFixed}
	if v.Rate.Sources == nil {
		v.Rate.Sources = []string{}
	}
	v.Spread, v.Address, v.ChainID, v.Confirmations = percent(c.SpreadBps), c.Address, c.ChainID, c.Confirmations
	v.PaymentURI = service.PaymentURI(c)
	v.ReceivedWei = c.ReceivedWei
	v.TxHashes = c.TxHashes()
	if n := len(v.TxHashes); n > 0 {
		v.TxHash = &v.TxHashes[n-1]
	}
	v.PaidAt = formatTimePtr(c.PaidAt)
}

type sessionCartView struct {
	LineItems         []sessionLineView `json:"lineItems"`
	Breakdown         breakdownView     `json:"breakdown"`
	PromotionCode     *string           `json:"promotionCode"`
	Shipping          *shippingView     `json:"shipping"`
	ShippingAddress   *addressView      `json:"shippingAddress"`
	BillingAddress    *addressView      `json:"billingAddress"`
	TaxIDs            []taxIDView       `json:"taxIds"`
	Consent           consentView       `json:"consent"`
	CustomFields      []customFieldView `json:"customFields"`
	ClientReferenceID *string           `json:"clientReferenceId"`
}

type sessionLineView struct {
	PriceID     string `json:"priceId"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Quantity    int64  `json:"quantity"`
	UnitAmount  string `json:"unitAmount"`
	Amount      string `json:"amount"`
	Discount    string `json:"discount"`
	Tax         string `json:"tax"`
	Total       string `json:"total"`
}

type breakdownView struct {
	Subtotal     string `json:"subtotal"`
	Discount     string `json:"discount"`
	Shipping     string `json:"shipping"`
	Tax          string `json:"tax"`
	InclusiveTax string `json:"inclusiveTax"`
	Total        string `json:"total"`
}

type shippingView struct {
	Name   string `json:"name"`
	Amount string `json:"amount"`
}

type addressView struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	State      string `json:"state"`
	Country    string `json:"country"`
}

type taxIDView struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type consentView struct {
	Promotions     bool `json:"promotions"`
	TermsOfService bool `json:"termsOfService"`
}

type customFieldView struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// renderSessionCart renders a session's cart in currency, nil for none.
func renderSessionCart(c *paylinks.SessionCart, currency string) *sessionCartView {
	if c == nil {
		return nil
	}
	dec := func(n int64) string { return paylinks.FormatDecimal(n, currency) }
	b := c.Breakdown
	v := &sessionCartView{LineItems: []sessionLineView{}, TaxIDs: []taxIDView{}, CustomFields: []customFieldView{},
		Breakdown: breakdownView{Subtotal: dec(b.Subtotal), Discount: dec(b.Discount), Shipping: dec(b.Shipping), Tax: dec(b.Tax),
			InclusiveTax: dec(b.InclusiveTax), Total: dec(b.Total)},
		PromotionCode: nullable(c.PromotionCode), ClientReferenceID: nullable(c.ClientReferenceID)}
	for _, l := range c.Lines {
		v.LineItems = append(v.LineItems, sessionLineView{PriceID: l.PriceID.String(), ProductID: l.ProductID.String(),
			ProductName: l.ProductName, Quantity: l.Quantity, UnitAmount: dec(l.UnitAmount), Amount: dec(l.Amount),
			Discount: dec(l.Discount), Tax: dec(l.Tax), Total: dec(l.Total)})
	}
	if c.ShippingRateID != nil {
		v.Shipping = &shippingView{Name: c.ShippingName, Amount: dec(b.Shipping)}
	}
	address := func(a *paylinks.Address) *addressView {
		if a == nil {
			return nil
		}
		return &addressView{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, State: a.State, Country: a.Country}
	}
	v.ShippingAddress, v.BillingAddress = address(c.ShippingAddress), address(c.BillingAddress)
	for _, t := range c.TaxIDs {
		v.TaxIDs = append(v.TaxIDs, taxIDView{Type: t.Type, Value: t.Value})
	}
	if c.Consent != nil {
		v.Consent = consentView{Promotions: c.Consent.Promotions, TermsOfService: c.Consent.TermsOfService}
	}
	for _, f := range c.CustomFields {
		v.CustomFields = append(v.CustomFields, customFieldView{Key: f.Key, Label: f.Label, Type: f.Type, Value: f.Value})
	}
	return v
}

type fiatView struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func (h *Handler) renderSession(s *paylinks.CheckoutSession) sessionView {
	id := paylinks.FormatSessionID(s.ID)
	meta := s.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	v := sessionView{ID: id, Object: "checkout_session", Status: string(s.Status), LinkID: formatIDPtr(prefixLink, s.LinkID),
		Fiat: fiatView{Amount: paylinks.FormatDecimal(s.Amount, s.Currency), Currency: s.Currency},
		URL:  h.publicURL + "/c/" + id, SuccessURL: nullable(s.SuccessURL), CancelURL: nullable(s.CancelURL),
		ExpiresAt: formatTime(s.ExpiresAt), CompletedAt: formatTimePtr(s.CompletedAt), CreatedAt: formatTime(s.CreatedAt),
		Metadata: meta, Cart: renderSessionCart(s.Cart, s.Currency)}
	cryptoView(&v, s)
	return v
}

// CreateSession serves POST /api/v1/checkout_sessions: link mode (linkId)
// or ad-hoc mode (amount {value, currency}).
func (h *Handler) CreateSession(w http.ResponseWriter, q *request) error {
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "linkId", "amount", "successUrl", "cancelUrl", "metadata", "expiresAt"); err != nil {
		return err
	}
	var p service.SessionParams
	link, err := b.optional("", "linkId")
	if err != nil {
		return err
	}
	amount, err := b.object("amount")
	if err != nil {
		return err
	}
	switch {
	case link != nil && amount != nil:
		return invalid("link_id", "give linkId or amount, not both")
	case link != nil:
		id, ok := parseID(prefixLink, *link)
		if !ok {
			return paylinks.Invalid("link_not_found", "linkId", "no such payment link: %.64s", *link)
		}
		p.LinkID, p.LinkDisplay = &id, *link
	case amount != nil:
		if err := amount.only("amount.", "value", "currency"); err != nil {
			return err
		}
		value, err := amount.required("amount.", "value")
		if err != nil {
			return err
		}
		code, err := amount.required("amount.", "currency")
		if err != nil {
			return err
		}
		if p.Currency, err = currency("amount.currency", code); err != nil {
			return err
		}
		if p.Amount, err = money("amount.value", value, p.Currency); err != nil {
			return err
		}
	default:
		return paylinks.Invalid("parameter_missing", "linkId", "give linkId (link mode) or amount (ad-hoc mode)")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"successUrl", &p.SuccessURL}, {"cancelUrl", &p.CancelURL}} {
		v, err := b.clearable("", f.name)
		if err != nil {
			return err
		}
		if v != nil {
			*f.dst = *v
		}
	}
	if p.Metadata, err = b.stringMap("metadata"); err != nil {
		return err
	}
	if p.ExpiresAt, err = b.timestamp("expiresAt"); err != nil {
		return err
	}
	p.PublicURL = h.publicURL
	s, err := h.svc.CreateSession(q.Context(), q.pr, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusCreated, h.renderSession(s))
	return nil
}

// GetSession serves GET /api/v1/checkout_sessions/{id}.
func (h *Handler) GetSession(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, ok := parseID(prefixSession, raw)
	if !ok {
		return notFound("checkout session", raw)
	}
	s, err := h.svc.GetSession(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderSession(s))
	return nil
}

// ListSessions serves GET /api/v1/checkout_sessions: newest first, by
// cursor.
func (h *Handler) ListSessions(w http.ResponseWriter, q *request) error {
	limit, after, err := cursorPage(q.Request, prefixSession)
	if err != nil {
		return err
	}
	p, err := h.svc.SessionPage(q.Context(), q.pr, service.CursorPage{Limit: limit, After: after})
	if err != nil {
		return err
	}
	out := list[sessionView]{Data: make([]sessionView, len(p.Items)), HasMore: p.HasMore}
	for i := range p.Items {
		out.Data[i] = h.renderSession(&p.Items[i])
	}
	if p.HasMore {
		out.NextCursor = &out.Data[len(out.Data)-1].ID
	}
	api.WriteJSON(w, q.Request, http.StatusOK, out)
	return nil
}

// SimulateCryptoPayment serves POST
// /api/v1/test_helpers/checkout_sessions/{id}/crypto_payment (test keys
// only): a simulated ETH transfer to the session's deposit address, fed to
// the same state machine as the chain watcher's. Body (all optional): wei
// (decimal integer string; default what is still missing of the quote; "0"
// only confirms what was sent), confirmations (default the session's), late
// (mined after the quote expired, within the grace).
func (h *Handler) SimulateCryptoPayment(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, ok := parseID(prefixSession, raw)
	if !ok {
		return notFound("checkout session", raw)
	}
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "wei", "confirmations", "late"); err != nil {
		return err
	}
	var p service.SimulatedPayment
	wei, err := b.optional("", "wei")
	if err != nil {
		return err
	}
	if wei != nil {
		v, ok := new(big.Int).SetString(*wei, 10)
		if !ok || v.Sign() < 0 || len(*wei) > 78 || strings.TrimLeft(*wei, "0123456789") != "" {
			return invalid("wei", "wei must be a non-negative integer string (wei)")
		}
		p.Wei = v
	}
	if raw, ok := b["confirmations"]; ok {
		var n int
		if isNull(raw) || json.Unmarshal(raw, &n) != nil || n < 0 || n > 1_000_000 {
			return invalid("confirmations", "confirmations must be an integer from 0 to 1000000")
		}
		p.Confirmations = n
	}
	late, err := b.boolean("late")
	if err != nil {
		return err
	}
	p.Late = late != nil && *late
	s, err := h.svc.SimulateCryptoPayment(q.Context(), q.pr, id, raw, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderSession(s))
	return nil
}
