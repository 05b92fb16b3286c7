package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Field limits of a link.
const (
	MaxTitleLen       = 255
	MaxDescriptionLen = 2000
	MaxSlugLen        = 64
	MaxURLLen         = 2048
)

// LinkParams describe a link to create. Which fields a request must carry is
// the dialect's concern; the values are checked here.
type LinkParams struct {
	Title       string
	Description string
	Amount      int64  // minor units; 0 = payer chooses
	Currency    string // any case
	Multiple    bool
	Slug        string // optional; generated from the title when empty
	SuccessURL  string
	CancelURL   string
	Inactive    bool // create the link deactivated
	// ManualCapture: the link's payments are authorized only, for the
	// merchant to capture (CaptureCharge) or reverse within 7 days.
	ManualCapture bool
}

// CreateLink validates p and creates a link owned by the caller's account in
// the caller's mode, with its link.create event.
func (s *Service) CreateLink(ctx context.Context, pr paylinks.Principal, p LinkParams) (*paylinks.Link, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	cur, err := checkLinkValues(pr, &p.Title, &p.Description, p.Amount, p.Currency, p.SuccessURL, p.CancelURL, nil)
	if err != nil {
		return nil, err
	}
	if p.Slug != "" {
		if err := checkSlug(p.Slug); err != nil {
			return nil, err
		}
	}
	idem, made := idempotentRecord(ctx, pr)
	if made != nil {
		l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, *made)
		if err != nil {
			return nil, fmt.Errorf("CreateLink: the link this request made before: %w", err)
		}
		return l, nil
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	l := &paylinks.Link{ID: id, AccountID: pr.AccountID, Livemode: pr.Livemode, Title: p.Title,
		Description: p.Description, Amount: p.Amount, Currency: cur, Multiple: p.Multiple, Active: !p.Inactive, ManualCapture: p.ManualCapture,
		SuccessURL: p.SuccessURL, CancelURL: p.CancelURL, CreatedAt: now, UpdatedAt: now}
	for attempt := 0; ; attempt++ {
		l.Slug = p.Slug
		if l.Slug == "" {
			if l.Slug, err = s.generateSlug(p.Title); err != nil {
				return nil, err
			}
		}
		ev, err := s.newEvent(pr, "link.create", "link", l.ID, l, now)
		if err != nil {
			return nil, err
		}
		err = s.store.CreateLink(ctx, l, ev, idem)
		if err == nil {
			return l, nil
		}
		if errors.Is(err, store.ErrKeyLost) {
			return nil, idempotencyKeyInUse()
		}
		if !errors.Is(err, paylinks.ErrConflict) {
			return nil, fmt.Errorf("CreateLink: %w", err)
		}
		if p.Slug != "" {
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "slug_taken", Param: "slug",
				Message: fmt.Sprintf("the slug %q is already taken", p.Slug)}
		}
		if attempt == 4 {
			return nil, fmt.Errorf("CreateLink: no free slug after 5 tries: %w", err)
		}
	}
}

// checkLinkValues validates the fields a link shares across create and
// update, trimming title and description in place, and returns the
// normalised currency code. was is the link before an update (nil on
// create): a title or description the update leaves as it was is not
// checked again as text, so a link stored before the text rules can
// still be deactivated or repriced.
func checkLinkValues(pr paylinks.Principal, title, description *string, amount int64, currency, successURL, cancelURL string, was *paylinks.Link) (string, error) {
	*title = strings.TrimSpace(*title)
	*description = strings.TrimSpace(*description)
	if *title == "" {
		return "", paylinks.Invalid("bad_request", "title", "title is required")
	}
	if was == nil || *title != was.Title {
		if err := checkText(titleText, *title); err != nil {
			return "", err
		}
	}
	if was == nil || *description != was.Description {
		if err := checkText(descriptionText, *description); err != nil {
			return "", err
		}
	}
	cur, ok := paylinks.NormalizeCurrency(currency)
	if !ok {
		return "", paylinks.Invalid("invalid_currency", "currency", "currency %q is not supported", currency)
	}
	if amount < 0 {
		return "", paylinks.Invalid("invalid_amount", "amount", "amount must not be negative")
	}
	if amount != 0 {
		if err := paylinks.CheckAmount(amount, cur, "amount"); err != nil {
			return "", err
		}
	}
	for _, u := range []struct{ param, val string }{{"success_url", successURL}, {"cancel_url", cancelURL}} {
		if err := checkRedirectURL(pr, u.param, u.val); err != nil {
			return "", err
		}
	}
	return cur, nil
}

// checkRedirectURL accepts "" or an absolute https URL; test-mode keys may
// also use http://localhost and loopback addresses.
func checkRedirectURL(pr paylinks.Principal, param, raw string) error {
	if raw == "" {
		return nil
	}
	if err := checkText(redirectURLTexts[param], raw); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return paylinks.Invalid("bad_request", param, "the %s must be an absolute https URL", urlName(param))
	}
	if u.Scheme == "https" {
		return nil
	}
	h := u.Hostname()
	if u.Scheme == "http" && !pr.Livemode && (h == "localhost" || h == "127.0.0.1" || h == "::1") {
		return nil
	}
	return paylinks.Invalid("bad_request", param, "the %s must be an https URL (http://localhost is allowed with test keys only)", urlName(param))
}

// urlName names a redirect URL field in words, the same in every dialect
// (each names the field itself in its error's param).
func urlName(param string) string { return strings.ReplaceAll(param, "_", " ") }

func checkSlug(slug string) error {
	if len(slug) < 3 || len(slug) > MaxSlugLen {
		return paylinks.Invalid("bad_request", "slug", "slug must be 3 to %d characters", MaxSlugLen)
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return paylinks.Invalid("bad_request", "slug", "slug may hold only lowercase letters, digits, '-' and '_'")
		}
	}
	if slug[0] == '-' || slug[0] == '_' {
		return paylinks.Invalid("bad_request", "slug", "slug must start with a letter or digit")
	}
	return nil
}

// generateSlug makes a URL-safe slug from the title plus a random suffix.
func (s *Service) generateSlug(title string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	base := strings.Trim(b.String(), "-")
	suffix, err := s.randomBase36(10)
	if err != nil {
		return "", err
	}
	if base == "" {
		return suffix, nil
	}
	return base + "-" + suffix, nil
}

func linkNotFound(id string) error {
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id", Message: fmt.Sprintf("link %s was not found", id)}
}

// GetLink returns a link of the caller's account and mode. Deleted links are
// not found. display is the id as the caller wrote it, for the message.
func (s *Service) GetLink(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Link, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && l.Deleted()) {
		return nil, linkNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("GetLink: %w", err)
	}
	return l, nil
}

// MaxListLimit is the most objects one list page returns.
const MaxListLimit = 100

// ListLinks returns a page of the caller's links and the number in the
// window. The dialect sets the defaults; out-of-range values are errors.
func (s *Service) ListLinks(ctx context.Context, pr paylinks.Principal, f paylinks.LinkFilter) ([]paylinks.Link, int, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, 0, err
	}
	if err := checkPage(f.Offset, f.Limit, f.From, f.To); err != nil {
		return nil, 0, err
	}
	f.AccountID, f.Livemode = pr.AccountID, pr.Livemode
	links, total, err := s.store.ListLinks(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("ListLinks: %w", err)
	}
	return links, total, nil
}

// DeleteLink deletes a link of the caller's: its page stops at once and it
// leaves every list. It returns the deleted link.
func (s *Service) DeleteLink(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Link, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	// The event carries the link as it is once deleted.
	// Read through the store: deleting needs links:write, not links:read.
	cur, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && cur.Deleted()) {
		return nil, linkNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("DeleteLink: %w", err)
	}
	now := s.Now()
	deleted := *cur
	deleted.DeletedAt, deleted.UpdatedAt = &now, now
	ev, err := s.newEvent(pr, "link.delete", "link", id, &deleted, now)
	if err != nil {
		return nil, err
	}
	l, err := s.store.DeleteLink(ctx, pr.AccountID, pr.Livemode, id, now, ev)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, linkNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("DeleteLink: %w", err)
	}
	return l, nil
}

// LinkBySlug returns the link behind a hosted page slug, deleted or not (the
// page says why it cannot be paid).
func (s *Service) LinkBySlug(ctx context.Context, slug string) (*paylinks.Link, error) {
	if slug == "" || len(slug) > MaxSlugLen {
		return nil, linkNotFound(slug)
	}
	l, err := s.store.LinkBySlug(ctx, slug)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, linkNotFound(slug)
	}
	if err != nil {
		return nil, fmt.Errorf("LinkBySlug: %w", err)
	}
	return l, nil
}
