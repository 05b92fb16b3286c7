package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// processorTimeout bounds one processor call; claimLease is how long a
// single-use link stays reserved for one attempt. The lease outlives the
// processor call, so a claim cannot lapse while its charge is in flight.
const (
	processorTimeout = 30 * time.Second
	claimLease       = 2 * time.Minute
)

// CheckoutInfo is what the hosted page of a link shows.
type CheckoutInfo struct {
	Link *paylinks.Link
	// Merchant is the public business name of the account that owns the
	// link, else the account's name.
	Merchant string
	// Brand is the merchant's branding (colour, logo, support contacts).
	Brand *Branding
	// Available is false in live mode without a payment processor: the
	// page says payments are not available.
	Available bool
	// Unpayable is why the link cannot be paid now (Link.PayableAt at the
	// service's clock), "" when it can.
	Unpayable string
	// Cart is what the link sells when it sells a cart (the page then
	// prices it with PriceCart and pays it with PayCart); nil otherwise.
	Cart *paylinks.LinkCart
	// Recovered is true for the fresh checkout of an expired cart link
	// with after_expiration.recovery enabled (RecoverCheckout): Cart is
	// then the recovery's cart and Unpayable is "" (paid with PayCart and
	// CartPayParams.Recover).
	Recovered bool
}

// Checkout returns the link behind a hosted page slug, deleted or not (the
// page says why it cannot be paid), with its merchant's name.
func (s *Service) Checkout(ctx context.Context, slug string) (*CheckoutInfo, error) {
	l, err := s.LinkBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	brand, err := s.Branding(ctx, l.AccountID)
	if err != nil {
		return nil, fmt.Errorf("Checkout(%q): %w", slug, err)
	}
	cart, err := s.linkCart(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("Checkout(%q): %w", slug, err)
	}
	return &CheckoutInfo{Link: l, Merchant: brand.Name, Brand: brand, Available: s.PaymentsAvailable(l.Livemode), Unpayable: l.PayableAt(s.Now()), Cart: cart}, nil
}

// RecoverCheckout is Checkout for the fresh checkout that an expired cart
// link's page offers when its after_expiration.recovery is enabled (per
// Stripe, recovery takes the payer back to a new checkout of the same
// items): the link's cart as RecoveryCart makes it, payable although the
// link has expired. For any other link (not expired yet, no recovery, or
// recovery turned off since) it is Checkout's answer unchanged, with
// Recovered false.
func (s *Service) RecoverCheckout(ctx context.Context, slug string) (*CheckoutInfo, error) {
	info, err := s.Checkout(ctx, slug)
	if err != nil {
		return nil, err
	}
	if info.Unpayable != "expired" {
		return info, nil
	}
	if rc := RecoveryCart(info.Cart); rc != nil {
		info.Cart, info.Unpayable, info.Recovered = rc, "", true
	}
	return info, nil
}

// PayParams describe one payment of a link from its hosted page.
type PayParams struct {
	Slug string
	// Amount is the payer's amount in minor units, used only when the
	// link's amount is 0 (payer chooses).
	Amount int64
	Card   CardInput
	Email  string
	// IP is the payer's address as the server saw it; it is kept on the
	// charge when it is an IP address.
	IP string
	// Quote is the price the payer's page showed (quote.go); nil for a
	// payment made without a page. A different price now refuses the
	// payment (CodePriceChanged) before anything is claimed or charged.
	Quote *Quote
}

// errLinkUsed and friends are why a link cannot be paid.
func linkUnpayable(l *paylinks.Link, why string) error {
	switch why {
	case "deleted":
		return linkNotFound(l.Slug)
	case "inactive":
		return &paylinks.Error{Kind: paylinks.KindGone, Code: "link_inactive", Message: "this payment link is no longer active"}
	case "expired":
		return &paylinks.Error{Kind: paylinks.KindGone, Code: "link_expired", Message: "this payment link has expired"}
	}
	return &paylinks.Error{Kind: paylinks.KindGone, Code: "link_used", Message: "this payment link has already been paid"}
}

// PayLink pays a link from its hosted page and returns the charge and the
// link as it is after it. A declined card is a failed charge with a nil
// error: it is recorded on the link and does not consume it.
//
// Money moves only with a record: a pending payment attempt is written
// first, in the same transaction that claims a single-use link (so at most
// one attempt at a time reaches the processor, and the claim lasts while
// the attempt is pending); the processor is called with the attempt's id
// as its idempotency key; the charge (whose id is the attempt's) is
// recorded in the transaction that settles the attempt and, when
// successful, marks a single-use link used. A decline releases the claim;
// a processor error (no outcome) voids the attempt when the processor says
// it charged nothing. When the charge cannot be recorded, the attempt
// stays pending and the reconciler (Reconcile) records it. Errors:
// FieldErrors (KindInvalid) for the payer's input, KindNotFound for an
// unknown or deleted link, KindGone for an inactive or used one,
// KindConflict while another attempt holds the link, KindUnavailable when
// the mode has no processor.
func (s *Service) PayLink(ctx context.Context, p PayParams) (*paylinks.Charge, *paylinks.Link, error) {
	l, err := s.LinkBySlug(ctx, p.Slug)
	if err != nil {
		return nil, nil, err
	}
	return s.PayLinkWith(ctx, l, p)
}

// PayLinkWith is PayLink of a link the caller has just read (by Checkout or
// LinkBySlug, in the same request), which spares a second read by slug;
// p.Slug is ignored. Every rule of PayLink applies to l as given, which
// must be payable; as in PayLink, what guards a single-use link against a
// payment made since the read is its claim in the store.
func (s *Service) PayLinkWith(ctx context.Context, l *paylinks.Link, p PayParams) (*paylinks.Charge, *paylinks.Link, error) {
	if l == nil {
		return nil, nil, linkNotFound(p.Slug)
	}
	p.Slug = l.Slug
	if why := l.PayableAt(s.Now()); why != "" {
		return nil, l, linkUnpayable(l, why)
	}
	// A cart is priced and paid by PayCart: charging the link's Amount
	// (the cart at its default quantities, without shipping, tax or the
	// payer's choices) would not be the cart's price.
	if cart, err := s.linkCart(ctx, l); err != nil {
		return nil, l, fmt.Errorf("PayLink(%q): %w", p.Slug, err)
	} else if cart != nil {
		return nil, l, paylinks.Invalid(CodeLinkSellsCart, "slug", "link %s sells line items: it is paid with its cart (PayCart)", l.Slug)
	}
	if err := checkQuote(p.Quote, l.Amount, l.Currency); err != nil {
		return nil, l, err
	}
	now := s.Now()
	in, err := s.checkPayer(ctx, l.Livemode, l.Amount, l.Currency, p.Amount, p.Card, p.Email, now)
	if err != nil {
		return nil, l, err
	}
	description := l.Title
	if l.Description != "" {
		description += "\n\n" + l.Description
	}
	a, err := s.newAttempt(store.AttemptLink, l.AccountID, l.Livemode, in, l.Currency, description, now)
	if err != nil {
		return nil, l, err
	}
	linkID := l.ID
	a.LinkID, a.ClaimsLink, a.IP = &linkID, l.Limited(), payerIP(p.IP)
	// Captured at once, unless the link asks for manual capture.
	a.Capture = !l.ManualCapture
	// The attempt is written, with the single-use link's claim, before the
	// processor is asked: a charge is never made that cannot be recorded.
	if err := s.store.BeginAttempt(ctx, a, nil, now, now.Add(claimLease)); err != nil {
		if errors.Is(err, paylinks.ErrConflict) {
			return nil, l, s.claimRefused(ctx, l)
		}
		return nil, l, fmt.Errorf("PayLink(%q): %w", p.Slug, err)
	}
	// From here on, finish even if the payer goes away: a charge the
	// processor made must be recorded, a claim released.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	c, err := s.chargeAttempt(ctx, a, in.proc, attemptTarget{link: l})
	if err != nil {
		return nil, l, fmt.Errorf("PayLink(%q): %w", p.Slug, err)
	}
	if c.Accepted() {
		if u := paidOnce(l, c.CreatedAt); u != nil {
			return c, u, nil
		}
	}
	return c, l, nil
}

// paidOnce is limited link l (read before the payment) as one more
// successful payment at `at` leaves it: counted, and used when that reaches
// its limit, as the store's claim has made it. nil for a link without a
// limit (nil included).
func paidOnce(l *paylinks.Link, at time.Time) *paylinks.Link {
	if l == nil || !l.Limited() {
		return nil
	}
	u := *l
	u.PaymentCount++
	if u.PaymentCount >= u.CompletedLimit() {
		u.Used, u.UsedAt, u.UpdatedAt = true, &at, at
	}
	return &u
}

// newAttempt returns a pending payment attempt of a payer's checked input
// in, of kind k, for the caller to complete with what it pays.
func (s *Service) newAttempt(k store.AttemptKind, account paylinks.ID, livemode bool, in *payer, currency, description string, now time.Time) (*store.PaymentAttempt, error) {
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	cardID, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	return &store.PaymentAttempt{ID: id, AccountID: account, Livemode: livemode, Kind: k, Amount: in.amount,
		Currency: currency, Description: description, Capture: true, ProcessorRef: in.ref, Card: in.card,
		CardID: cardID, Email: in.email, Status: store.AttemptPending, CreatedAt: now}, nil
}

// payer is a payer's checked input: the amount to charge, the card as it is
// kept, the email, and the processor with its reference to the card.
type payer struct {
	amount int64
	card   paylinks.Card
	email  string
	proc   payments.Processor
	ref    string
}

// checkPayer validates what a payer typed on a hosted page: the amount when
// the price is the payer's to choose (fixed 0), the card and the email, all
// reported at once as FieldErrors; then it hands the card to the mode's
// processor (KindUnavailable when there is none).
func (s *Service) checkPayer(ctx context.Context, livemode bool, fixed int64, currency string, amount int64, ci CardInput, email string, now time.Time) (*payer, error) {
	var fe FieldErrors
	if fixed != 0 {
		amount = fixed
	} else if err := paylinks.CheckAmount(amount, currency, "amount"); err != nil {
		fe = append(fe, paylinks.AsError(err))
	}
	details, card, cardErrs := s.checkCard(ci, true, now)
	fe = append(fe, cardErrs...)
	email = strings.TrimSpace(email)
	if e := checkEmail(email); e != nil {
		fe = append(fe, e)
	}
	if len(fe) > 0 {
		return nil, fe
	}
	proc := s.processor(livemode)
	if !payments.Available(proc) {
		return nil, payments.ErrNoProcessor
	}
	ref, err := proc.Tokenize(ctx, details)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return &payer{amount: amount, card: card, email: email, proc: proc, ref: ref}, nil
}

// claimRefused explains a refused claim: the link was paid meanwhile (gone)
// or another attempt holds it (conflict, try again).
func (s *Service) claimRefused(ctx context.Context, l *paylinks.Link) error {
	if cur, err := s.store.LinkBySlug(ctx, l.Slug); err == nil {
		if why := cur.PayableAt(s.Now()); why != "" {
			return linkUnpayable(cur, why)
		}
	}
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: "payment_in_progress",
		Message: "another payment of this link is in progress; try again in a moment"}
}

// settle gives a charge its outcome, and an id when it has none.
func (s *Service) settle(c *paylinks.Charge, out payments.Outcome, now time.Time) error {
	var err error
	if c.ID == (paylinks.ID{}) {
		if c.ID, err = s.newID(now); err != nil {
			return err
		}
	}
	if c.CardID == (paylinks.ID{}) {
		if c.CardID, err = s.newID(now); err != nil {
			return err
		}
	}
	switch {
	case !out.Success:
		c.Status, c.FailureCode, c.FailureMessage = paylinks.ChargeFailed, out.FailureCode, out.FailureMessage
		return nil
	case c.Capture:
		c.Status, c.PaidAt = paylinks.ChargeSuccessful, &now
		c.AuthorizedAmount, c.CapturedAmount = c.Amount, c.Amount
	default:
		// Authorized, not captured: capturable until it expires.
		expires := now.Add(paylinks.AuthorizationTTL)
		c.Status, c.AuthorizedAmount, c.ExpiresAt = paylinks.ChargePending, c.Amount, &expires
	}
	tx, err := s.newID(now)
	if err != nil {
		return err
	}
	c.TransactionID = &tx
	return nil
}

func storeChargeWrite(c *paylinks.Charge, events []paylinks.Event, claim, token *paylinks.ID) store.ChargeWrite {
	return store.ChargeWrite{Charge: c, Events: events, ClaimID: claim, TokenID: token}
}

// LinkCharge returns a charge made through link l (for its receipt page).
func (s *Service) LinkCharge(ctx context.Context, l *paylinks.Link, id paylinks.ID) (*paylinks.Charge, error) {
	c, err := s.store.GetCharge(ctx, l.AccountID, l.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && (c.LinkID == nil || *c.LinkID != l.ID)) {
		return nil, chargeNotFound(id.String())
	}
	if err != nil {
		return nil, fmt.Errorf("LinkCharge: %w", err)
	}
	return c, nil
}
