package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Checkout session lifetimes.
const (
	DefaultSessionTTL = 30 * time.Minute
	MinSessionTTL     = 5 * time.Minute
	MaxSessionTTL     = 24 * time.Hour
)

// SessionParams describe a checkout session to create: from a link
// (LinkID; the amount and currency are the link's at this moment) or ad hoc
// (Amount and Currency), never both.
type SessionParams struct {
	LinkID *paylinks.ID
	// LinkDisplay is the link id as the caller wrote it, for messages.
	LinkDisplay string
	Amount      int64
	Currency    string
	// SuccessURL and CancelURL default to the link's in link mode.
	SuccessURL string
	CancelURL  string
	Metadata   map[string]string
	// ExpiresAt defaults to DefaultSessionTTL from now; it must fall
	// between MinSessionTTL and MaxSessionTTL from now.
	ExpiresAt time.Time
	// PublicURL is the base of the hosted pages, for the message that
	// sends a cart link's payer to its own page.
	PublicURL string
}

// CodeLinkSellsCart is the code of the error of a session asked for a
// link that sells a cart: such a link is priced and paid on its own page
// (PriceCart, PayCart), which a session's page does not do, so no session
// is made rather than one charging the cart's default total.
const CodeLinkSellsCart = "link_sells_line_items"

func sessionNotFound(id string) error {
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: fmt.Sprintf("checkout session %s was not found", id)}
}

// CreateSession creates an open checkout session of the caller's account
// and mode, with its session.create event. A link that is deactivated,
// deleted or (single-use) already paid refuses new sessions with a
// KindConflict error (codes link_inactive, link_deleted, link_used).
func (s *Service) CreateSession(ctx context.Context, pr paylinks.Principal, p SessionParams) (*paylinks.CheckoutSession, error) {
	if err := require(pr, paylinks.ScopeSessionsWrite); err != nil {
		return nil, err
	}
	idem, made := idempotentRecord(ctx, pr)
	if made != nil {
		sess, err := s.store.GetSession(ctx, pr.AccountID, pr.Livemode, *made)
		if err != nil {
			return nil, fmt.Errorf("CreateSession: the session this request made before: %w", err)
		}
		if err := s.attachCrypto(ctx, sess); err != nil {
			return nil, fmt.Errorf("CreateSession: %w", err)
		}
		sess.Status = sess.StatusAt(s.Now())
		return sess, nil
	}
	now := s.Now()
	sess := &paylinks.CheckoutSession{AccountID: pr.AccountID, Livemode: pr.Livemode, Status: paylinks.SessionOpen,
		SuccessURL: p.SuccessURL, CancelURL: p.CancelURL, CreatedAt: now, ExpiresAt: now.Add(DefaultSessionTTL)}
	switch {
	case p.LinkID != nil && (p.Amount != 0 || p.Currency != ""):
		return nil, paylinks.Invalid("bad_request", "amount", "give either a link or an amount, not both")
	case p.LinkID != nil:
		l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, *p.LinkID)
		if errors.Is(err, paylinks.ErrNotFound) {
			return nil, paylinks.Invalid("link_not_found", "link_id", "link %s was not found", p.LinkDisplay)
		}
		if err != nil {
			return nil, fmt.Errorf("CreateSession: %w", err)
		}
		switch l.PayableAt(now) {
		case "expired":
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "link_expired", Param: "link_id",
				Message: "the link has expired and cannot start new checkout sessions"}
		case "deleted":
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "link_deleted", Param: "link_id",
				Message: "the link has been deleted and cannot start new checkout sessions"}
		case "inactive":
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "link_inactive", Param: "link_id",
				Message: "the link is not active and cannot start new checkout sessions"}
		case "used":
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "link_used", Param: "link_id",
				Message: "the link was for one payment and has been paid"}
		}
		cart, err := s.linkCart(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("CreateSession: %w", err)
		}
		if cart != nil {
			return nil, paylinks.Invalid(CodeLinkSellsCart, "link_id",
				"a link that sells line items is paid on its own page: %s/l/%s", p.PublicURL, l.Slug)
		}
		sess.LinkID, sess.Amount, sess.Currency = &l.ID, l.Amount, l.Currency
		if sess.SuccessURL == "" {
			sess.SuccessURL = l.SuccessURL
		}
		if sess.CancelURL == "" {
			sess.CancelURL = l.CancelURL
		}
	default:
		code, ok := paylinks.NormalizeCurrency(p.Currency)
		if !ok {
			return nil, paylinks.Invalid("invalid_currency", "currency", "currency %q is not supported", p.Currency)
		}
		if err := paylinks.CheckAmount(p.Amount, code, "amount"); err != nil {
			return nil, err
		}
		sess.Amount, sess.Currency = p.Amount, code
	}
	for _, u := range []struct{ param, val string }{{"success_url", p.SuccessURL}, {"cancel_url", p.CancelURL}} {
		if err := checkRedirectURL(pr, u.param, u.val); err != nil {
			return nil, err
		}
	}
	if err := checkMetadata(p.Metadata); err != nil {
		return nil, err
	}
	sess.Metadata = p.Metadata
	if !p.ExpiresAt.IsZero() {
		d := p.ExpiresAt.Sub(now)
		if d < MinSessionTTL || d > MaxSessionTTL {
			return nil, paylinks.Invalid("invalid_expires_at", "expires_at", "expires_at must be between %s and %s from now",
				MinSessionTTL, MaxSessionTTL)
		}
		sess.ExpiresAt = p.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	// With ETH enabled, the quote is locked now, for the quote window
	// (unless expires_at says otherwise). A session whose payer chooses
	// the amount cannot be quoted and is card only.
	if sess.Amount > 0 {
		cfg, err := s.ethOffered(ctx, sess.AccountID, sess.Livemode)
		if err != nil {
			return nil, fmt.Errorf("CreateSession: %w", err)
		}
		if cfg != nil {
			if p.ExpiresAt.IsZero() {
				sess.ExpiresAt = now.Add(cfg.QuoteWindow)
			}
			if err := s.quoteCrypto(ctx, sess, cfg, now); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if sess.ID, err = s.newID(now); err != nil {
		return nil, err
	}
	ev, err := s.newEvent(pr, "session.create", "session", sess.ID, sess, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateSession(ctx, sess, ev, idem); err != nil {
		if errors.Is(err, store.ErrKeyLost) {
			return nil, idempotencyKeyInUse()
		}
		return nil, fmt.Errorf("CreateSession: %w", err)
	}
	return sess, nil
}

// GetSession returns a checkout session of the caller's, with its status
// at the service clock's now (an open session past its expiry is expired).
func (s *Service) GetSession(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.CheckoutSession, error) {
	if err := require(pr, paylinks.ScopeSessionsRead); err != nil {
		return nil, err
	}
	sess, err := s.store.GetSession(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, sessionNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("GetSession: %w", err)
	}
	if err := s.attachCrypto(ctx, sess); err != nil {
		return nil, fmt.Errorf("GetSession: %w", err)
	}
	sess.Status = sess.StatusAt(s.Now())
	return sess, nil
}

// attachCrypto reads the session's crypto state into sess.Crypto (nil
// for a card-only session), its status as shown at the service clock's
// now (see CryptoStatusAt).
func (s *Service) attachCrypto(ctx context.Context, sess *paylinks.CheckoutSession) error {
	c, err := s.store.SessionCrypto(ctx, sess.ID)
	if errors.Is(err, paylinks.ErrNotFound) {
		sess.Crypto = nil
		return nil
	}
	if err != nil {
		return err
	}
	sess.Crypto = c
	c.Status = CryptoStatusAt(sess, s.Now())
	return nil
}

// SessionInfo is what the hosted page of a checkout session shows.
type SessionInfo struct {
	Session *paylinks.CheckoutSession // Status at the service clock's now
	// Link is the session's link, deleted or not; nil for an ad-hoc session.
	Link      *paylinks.Link
	Merchant  string
	Brand     *Branding
	Available bool
}

// Title is what the page calls the purchase: the link's title, else a
// generic one.
func (i *SessionInfo) Title() string {
	if i.Link != nil {
		return i.Link.Title
	}
	return "Payment to " + i.Merchant
}

// SessionCheckout returns the session behind a hosted page, of any account,
// with its link and merchant.
func (s *Service) SessionCheckout(ctx context.Context, id paylinks.ID) (*SessionInfo, error) {
	sess, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, sessionNotFound(id.String())
	}
	if err != nil {
		return nil, fmt.Errorf("SessionCheckout: %w", err)
	}
	if err := s.attachCrypto(ctx, sess); err != nil {
		return nil, fmt.Errorf("SessionCheckout: %w", err)
	}
	sess.Status = sess.StatusAt(s.Now())
	info := &SessionInfo{Session: sess, Available: s.PaymentsAvailable(sess.Livemode)}
	if sess.LinkID != nil {
		if info.Link, err = s.store.GetLink(ctx, sess.AccountID, sess.Livemode, *sess.LinkID); err != nil {
			return nil, fmt.Errorf("SessionCheckout: link: %w", err)
		}
	}
	if info.Brand, err = s.Branding(ctx, sess.AccountID); err != nil {
		return nil, fmt.Errorf("SessionCheckout: %w", err)
	}
	info.Merchant = info.Brand.Name
	return info, nil
}

// PaySessionParams describe one payment of a checkout session from its
// hosted page.
type PaySessionParams struct {
	SessionID paylinks.ID
	// Amount is the payer's amount in minor units, used only when the
	// session's amount is 0 (payer chooses).
	Amount int64
	Card   CardInput
	Email  string
	// IP is the payer's address as the server saw it (see PayParams.IP).
	IP string
	// Quote is the price the payer's page showed (quote.go); nil for a
	// payment made without a page.
	Quote *Quote
}

func sessionUnpayable(status paylinks.SessionStatus) error {
	if status == paylinks.SessionComplete {
		return &paylinks.Error{Kind: paylinks.KindGone, Code: "session_complete", Message: "this checkout has already been paid"}
	}
	return &paylinks.Error{Kind: paylinks.KindGone, Code: "session_expired", Message: "this checkout has expired"}
}

// PaySession pays an open checkout session and returns the charge and the
// session as it is after it. A session stays payable when its link was
// deactivated or deleted after it was made; a single-use link is claimed as
// PayLink claims it. A declined card is a failed charge with a nil error and
// leaves the session open. Errors: FieldErrors for the payer's input,
// KindNotFound for an unknown session, KindGone for a complete or expired
// one (or a used single-use link), KindConflict while another attempt holds
// it, KindUnavailable when the mode has no processor.
func (s *Service) PaySession(ctx context.Context, p PaySessionParams) (*paylinks.Charge, *paylinks.CheckoutSession, error) {
	sess, err := s.store.SessionByID(ctx, p.SessionID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, sessionNotFound(p.SessionID.String())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("PaySession: %w", err)
	}
	now := s.Now()
	if st := sess.StatusAt(now); st != paylinks.SessionOpen {
		sess.Status = st
		return nil, sess, sessionUnpayable(st)
	}
	if err := checkQuote(p.Quote, sess.Amount, sess.Currency); err != nil {
		return nil, sess, err
	}
	var l *paylinks.Link
	if sess.LinkID != nil {
		if l, err = s.store.GetLink(ctx, sess.AccountID, sess.Livemode, *sess.LinkID); err != nil {
			return nil, sess, fmt.Errorf("PaySession: link: %w", err)
		}
	}
	in, err := s.checkPayer(ctx, sess.Livemode, sess.Amount, sess.Currency, p.Amount, p.Card, p.Email, now)
	if err != nil {
		return nil, sess, err
	}
	description := "Checkout session"
	if l != nil {
		description = l.Title
		if l.Description != "" {
			description += "\n\n" + l.Description
		}
	}
	a, err := s.newAttempt(store.AttemptSession, sess.AccountID, sess.Livemode, in, sess.Currency, description, now)
	if err != nil {
		return nil, sess, err
	}
	a.IP = payerIP(p.IP)
	sid := sess.ID
	a.SessionID, a.LinkID, a.ClaimsSession, a.Metadata = &sid, sess.LinkID, true, sess.Metadata
	a.ClaimsLink = l != nil && l.Limited()
	a.Capture = l == nil || !l.ManualCapture // a manual-capture link's sessions authorize only
	// The attempt is written, with the session's claim (and its single-use
	// link's), before the processor is asked.
	if err := s.store.BeginAttempt(ctx, a, nil, now, now.Add(claimLease)); err != nil {
		if errors.Is(err, paylinks.ErrConflict) {
			refused := s.sessionClaimRefused(ctx, sess)
			if e := paylinks.AsError(refused); e != nil && e.Code == "payment_in_progress" && a.ClaimsLink {
				refused = s.claimRefused(ctx, l)
			}
			return nil, sess, refused
		}
		return nil, sess, fmt.Errorf("PaySession: %w", err)
	}
	// From here on, finish even if the payer goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	c, err := s.chargeAttempt(ctx, a, in.proc, attemptTarget{link: l, sess: sess})
	if err != nil {
		return nil, sess, fmt.Errorf("PaySession: %w", err)
	}
	if !c.Accepted() {
		return c, sess, nil
	}
	done := *sess
	at := c.CreatedAt
	done.Status, done.CompletedAt, done.ChargeID, done.Email = paylinks.SessionComplete, &at, &c.ID, c.Email
	return c, &done, nil
}

// paymentEvents are the events of a charge made through a checkout: the
// charge's, and when it succeeded the session's completion and a
// single-use link's update.
func (s *Service) paymentEvents(pr paylinks.Principal, c *paylinks.Charge, l *paylinks.Link, sess *paylinks.CheckoutSession, now time.Time) ([]paylinks.Event, error) {
	ev, err := s.newEvent(pr, "charge.create", "charge", c.ID, c, now)
	if err != nil {
		return nil, err
	}
	events := []paylinks.Event{*ev}
	if cev, err := s.chargeCompleteEvent(pr, c, now); err != nil {
		return nil, err
	} else if cev != nil {
		events = append(events, *cev)
	}
	if !c.Accepted() {
		return events, nil
	}
	done := *sess
	done.Status, done.CompletedAt, done.ChargeID, done.Email = paylinks.SessionComplete, &now, &c.ID, c.Email
	sev, err := s.newEvent(pr, "session.complete", "session", sess.ID, &done, now)
	if err != nil {
		return nil, err
	}
	events = append(events, *sev)
	if u := paidOnce(l, now); u != nil && u.Used {
		lev, err := s.newEvent(pr, "link.update", "link", l.ID, u, now)
		if err != nil {
			return nil, err
		}
		events = append(events, *lev)
	}
	return events, nil
}

// sessionClaimRefused explains a refused session claim: paid or expired
// meanwhile (gone), or another attempt holds it (conflict, try again).
func (s *Service) sessionClaimRefused(ctx context.Context, sess *paylinks.CheckoutSession) error {
	if cur, err := s.store.SessionByID(ctx, sess.ID); err == nil {
		if st := cur.StatusAt(s.Now()); st != paylinks.SessionOpen {
			return sessionUnpayable(st)
		}
	}
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: "payment_in_progress",
		Message: "another payment of this checkout is in progress; try again in a moment"}
}

// linkSession returns the (unsaved) open checkout session of a payment made
// on link l's own page, and gives charge c its id.
func (s *Service) linkSession(l *paylinks.Link, c *paylinks.Charge, now time.Time) (*paylinks.CheckoutSession, error) {
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	linkID := l.ID
	c.SessionID = &id
	return &paylinks.CheckoutSession{ID: id, AccountID: l.AccountID, Livemode: l.Livemode, LinkID: &linkID,
		Status: paylinks.SessionOpen, Amount: c.Amount, Currency: c.Currency, SuccessURL: l.SuccessURL,
		CancelURL: l.CancelURL, Email: c.Email, CreatedAt: now, ExpiresAt: now.Add(DefaultSessionTTL)}, nil
}

// SessionCharge returns the successful charge of a complete session (for
// its receipt page).
func (s *Service) SessionCharge(ctx context.Context, sess *paylinks.CheckoutSession) (*paylinks.Charge, error) {
	if sess.ChargeID == nil {
		return nil, chargeNotFound("of session " + sess.ID.String())
	}
	c, err := s.store.GetCharge(ctx, sess.AccountID, sess.Livemode, *sess.ChargeID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, chargeNotFound(sess.ChargeID.String())
	}
	if err != nil {
		return nil, fmt.Errorf("SessionCharge: %w", err)
	}
	return c, nil
}
