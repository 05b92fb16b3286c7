package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Limits of a cart link.
const (
	MaxLineItems       = 20
	MaxShippingOptions = 5
	MaxQuantity        = 999_999
	// DefaultMaxQuantity is an adjustable quantity's maximum when none is
	// given.
	DefaultMaxQuantity = 99
)

// CartItemParams is one line item to put on a link: a catalog price and a
// default quantity (0 means 1), optionally adjustable by the payer.
type CartItemParams struct {
	PriceID    paylinks.ID
	PriceRef   string // the price id as the caller wrote it
	Quantity   int64
	Adjustable *paylinks.AdjustableQuantity
	// ProductID and Currency, when set, must be the price's (a link read
	// back and sent again names them).
	ProductID *paylinks.ID
	Currency  string
}

// CartLinkParams describe a link that sells catalog prices. Title "" is
// the first line's product name. Mode "" is payment, the only mode served.
type CartLinkParams struct {
	Title, Description       string
	SuccessURL, CancelURL    string
	Inactive                 bool
	Mode                     string
	LineItems                []CartItemParams
	CouponID                 *paylinks.ID
	CouponRef                string
	AllowPromotionCodes      bool
	TaxRateIDs               []paylinks.ID
	TaxRateRefs              []string
	ShippingRateIDs          []paylinks.ID
	ShippingRateRefs         []string
	BillingAddressCollection string
	ShippingCountries        []string
	CustomerEmail            string
	SubmitType               string
	ExpiresAt                *time.Time
	Metadata                 map[string]string
	DynamicTaxRateIDs        []paylinks.ID
	DynamicTaxRateRefs       []string
	AutomaticTax             bool
	TaxIDCollection          bool
	ConsentCollection        *paylinks.ConsentCollection
	CustomFields             []paylinks.CustomField
	Recovery                 *paylinks.ExpirationRecovery
	// PaymentLimit, when above 0, is the most successful payments the
	// link takes (1 makes it single-use).
	PaymentLimit int
	// ManualCapture makes the link's payments authorizations only.
	ManualCapture bool
	// Livemode and Currency, when set, must be the key's mode and the
	// line items' currency (a link read back and sent again names them).
	Livemode *bool
	Currency string
}

// MaxPaymentLimit is the largest completed-payments limit a link may have.
const MaxPaymentLimit = 1_000_000

// checkCartExtras validates and copies onto cart the members of p that need
// no catalog: custom fields, consent collection, tax ID collection,
// automatic tax and expiry recovery.
func checkCartExtras(cart *paylinks.LinkCart, p *CartLinkParams) error {
	if len(p.CustomFields) > paylinks.MaxCustomFields {
		return paylinks.Invalid("parameter_invalid", "custom_fields", "a link has at most %d custom fields", paylinks.MaxCustomFields)
	}
	keys := map[string]bool{}
	for i, f := range p.CustomFields {
		param := fmt.Sprintf("custom_fields[%d]", i)
		if err := checkCustomKey(param+".key", f.Key); err != nil {
			return err
		}
		if keys[f.Key] {
			return paylinks.Invalid("parameter_invalid", param+".key", "custom field key %q is used twice", f.Key)
		}
		keys[f.Key] = true
		if f.Label == "" {
			return paylinks.Invalid("parameter_missing", param+".label", "%s.label is required", param)
		}
		if err := checkText(textField{code: "parameter_invalid", param: param + ".label", max: MaxCustomLabelLen}, f.Label); err != nil {
			return err
		}
		switch f.Type {
		case paylinks.CustomFieldText, paylinks.CustomFieldNumeric:
			if len(f.Options) > 0 {
				return paylinks.Invalid("parameter_invalid", param+".dropdown", "only a dropdown custom field has options")
			}
		case paylinks.CustomFieldDropdown:
			if len(f.Options) == 0 || len(f.Options) > MaxDropdownOptions {
				return paylinks.Invalid("parameter_invalid", param+".dropdown.options", "a dropdown has 1 to %d options", MaxDropdownOptions)
			}
			values := map[string]bool{}
			for j, o := range f.Options {
				op := fmt.Sprintf("%s.dropdown.options[%d]", param, j)
				if err := checkCustomKey(op+".value", o.Value); err != nil {
					return err
				}
				if values[o.Value] {
					return paylinks.Invalid("parameter_invalid", op+".value", "option value %q is used twice", o.Value)
				}
				values[o.Value] = true
				if o.Label == "" {
					return paylinks.Invalid("parameter_missing", op+".label", "%s.label is required", op)
				}
				if err := checkText(textField{code: "parameter_invalid", param: op + ".label", max: MaxCustomLabelLen}, o.Label); err != nil {
					return err
				}
			}
		case "":
			return paylinks.Invalid("parameter_missing", param+".type", "%s.type is required", param)
		default:
			return paylinks.Invalid("parameter_invalid", param+".type", "%s.type must be text, numeric or dropdown", param)
		}
		cart.CustomFields = append(cart.CustomFields, f)
	}
	if c := p.ConsentCollection; c != nil {
		cc := *c
		switch cc.Promotions {
		case "none":
			cc.Promotions = ""
		case "", "auto":
		default:
			return paylinks.Invalid("parameter_invalid", "consent_collection.promotions", "consent_collection.promotions must be auto or none")
		}
		switch cc.TermsOfService {
		case "none":
			cc.TermsOfService = ""
		case "", "required":
		default:
			return paylinks.Invalid("parameter_invalid", "consent_collection.terms_of_service", "consent_collection.terms_of_service must be required or none")
		}
		if cc != (paylinks.ConsentCollection{}) {
			cart.ConsentCollection = &cc
		}
	}
	cart.TaxIDCollection, cart.AutomaticTax = p.TaxIDCollection, p.AutomaticTax
	if r := p.Recovery; r != nil && r.Enabled {
		rc := *r
		cart.Recovery = &rc
	} else if r != nil && r.AllowPromotionCodes {
		return paylinks.Invalid("parameter_invalid", "after_expiration.recovery.allow_promotion_codes",
			"allow_promotion_codes needs after_expiration.recovery.enabled")
	}
	if p.PaymentLimit < 0 || p.PaymentLimit > MaxPaymentLimit {
		return paylinks.Invalid("parameter_invalid", "restrictions.completed_sessions.limit",
			"restrictions.completed_sessions.limit must be from 1 to %d", MaxPaymentLimit)
	}
	return nil
}

// Limits of custom fields.
const (
	MaxCustomKeyLen    = 200
	MaxCustomLabelLen  = 50
	MaxDropdownOptions = 200
)

// checkCustomKey checks a custom field's key or a dropdown option's value:
// 1 to MaxCustomKeyLen ASCII letters, digits, '_' or '-' (Stripe's rule:
// alphanumeric), so that it can name a form field and a JSON member.
func checkCustomKey(param, k string) error {
	if k == "" {
		return paylinks.Invalid("parameter_missing", param, "%s is required", param)
	}
	if len(k) > MaxCustomKeyLen {
		return paylinks.Invalid("parameter_invalid", param, "%s is longer than %d characters", param, MaxCustomKeyLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return paylinks.Invalid("parameter_invalid", param, "%s may hold only letters, digits, '_' and '-'", param)
		}
	}
	return nil
}

// CreateCartLink validates p against the caller's catalog and creates a
// link (multi-use unless p.PaymentLimit is 1) that sells its line items, with its cart, in one write.
// The link's amount (what every dialect shows, and what its page charges
// until the page sells carts) is Totals of the line items at their default
// quantities with the link's coupon and tax rates, before shipping and
// promotion codes.
func (s *Service) CreateCartLink(ctx context.Context, pr paylinks.Principal, p CartLinkParams) (*paylinks.Link, *paylinks.LinkCart, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, nil, err
	}
	switch p.Mode {
	case "", "payment":
	case "subscription", "setup":
		return nil, nil, paylinks.Invalid("mode_not_supported", "mode", "mode %s is not supported yet: only payment links are", p.Mode)
	default:
		return nil, nil, paylinks.Invalid("parameter_invalid", "mode", "mode must be payment, subscription or setup")
	}
	if p.Livemode != nil && *p.Livemode != pr.Livemode {
		return nil, nil, paylinks.Invalid("parameter_invalid", "livemode", "this key makes links with livemode %v", pr.Livemode)
	}
	if len(p.LineItems) == 0 {
		return nil, nil, paylinks.Invalid("parameter_missing", "line_items", "line_items is required")
	}
	if len(p.LineItems) > MaxLineItems {
		return nil, nil, paylinks.Invalid("parameter_invalid", "line_items", "a link has at most %d line items", MaxLineItems)
	}
	cart := &paylinks.LinkCart{AllowPromotionCodes: p.AllowPromotionCodes, BillingAddressCollection: p.BillingAddressCollection,
		CustomerEmail: strings.TrimSpace(p.CustomerEmail), SubmitType: p.SubmitType, ExpiresAt: p.ExpiresAt}
	switch cart.BillingAddressCollection {
	case "":
		cart.BillingAddressCollection = "auto"
	case "auto", "required":
	default:
		return nil, nil, paylinks.Invalid("parameter_invalid", "billing_address_collection", "billing_address_collection must be auto or required")
	}
	switch cart.SubmitType {
	case "":
		cart.SubmitType = "auto"
	case "auto", "pay", "book", "donate":
	default:
		return nil, nil, paylinks.Invalid("parameter_invalid", "submit_type", "submit_type must be auto, pay, book or donate")
	}
	if e := cart.CustomerEmail; e != "" {
		if err := checkText(textField{code: "parameter_invalid", param: "customer_email", max: MaxEmailLen}, e); err != nil {
			return nil, nil, err
		}
		if at := strings.IndexByte(e, '@'); at < 1 || at == len(e)-1 || strings.ContainsAny(e, " \t") {
			return nil, nil, paylinks.Invalid("parameter_invalid", "customer_email", "customer_email is not an email address")
		}
	}
	if cart.ExpiresAt != nil && !cart.ExpiresAt.After(s.Now()) {
		return nil, nil, paylinks.Invalid("parameter_invalid", "expires_at", "expires_at must be in the future")
	}
	for i, c := range p.ShippingCountries {
		c = strings.ToUpper(c)
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return nil, nil, paylinks.Invalid("parameter_invalid", fmt.Sprintf("shipping_address_collection.allowed_countries[%d]", i),
				"allowed countries are two-letter ISO 3166-1 codes")
		}
		cart.ShippingCountries = append(cart.ShippingCountries, c)
	}
	if err := checkCartExtras(cart, &p); err != nil {
		return nil, nil, err
	}
	if p.Metadata != nil {
		if err := checkMetadata(p.Metadata); err != nil {
			return nil, nil, err
		}
		if len(p.Metadata) > 0 {
			cart.Metadata = p.Metadata
		}
	}

	// The catalog objects, each the caller's, active, in one currency.
	var currency, firstProduct string
	lines := make([]CartLine, len(p.LineItems))
	for i, it := range p.LineItems {
		param := fmt.Sprintf("line_items[%d]", i)
		price, err := getCatalog[paylinks.Price](ctx, s, pr, it.PriceID, param+".price", it.PriceRef)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !price.Active:
			return nil, nil, paylinks.Invalid("resource_inactive", param+".price", "the price %s is not active", it.PriceRef)
		case price.Type != paylinks.PriceOneTime:
			return nil, nil, paylinks.Invalid("mode_not_supported", param+".price",
				"the price %s is recurring, and subscriptions are not supported yet", it.PriceRef)
		case currency == "":
			currency = price.Currency
		case price.Currency != currency:
			return nil, nil, paylinks.Invalid("currency_mismatch", param+".price", "every line item must be in one currency (%s, not %s)", currency, price.Currency)
		}
		if it.ProductID != nil && *it.ProductID != price.ProductID {
			return nil, nil, paylinks.Invalid("parameter_invalid", param+".product", "the price %s is not a price of that product", it.PriceRef)
		}
		if it.Currency != "" && it.Currency != price.Currency {
			return nil, nil, paylinks.Invalid("currency_mismatch", param+".currency", "the price %s is in %s, not %s", it.PriceRef, price.Currency, it.Currency)
		}
		item := paylinks.CartItem{PriceID: price.ID, ProductID: price.ProductID, Quantity: it.Quantity}
		if item.Quantity == 0 {
			item.Quantity = 1
		}
		if item.Quantity < 1 || item.Quantity > MaxQuantity {
			return nil, nil, paylinks.Invalid("parameter_invalid", param+".quantity", "quantity must be between 1 and %d", MaxQuantity)
		}
		if a := it.Adjustable; a != nil && a.Enabled {
			adj := *a
			if adj.Maximum == 0 {
				adj.Maximum = DefaultMaxQuantity
			}
			if adj.Minimum < 0 || adj.Maximum > MaxQuantity || adj.Minimum > adj.Maximum {
				return nil, nil, paylinks.Invalid("parameter_invalid", param+".adjustable_quantity",
					"adjustable_quantity needs 0 ≤ minimum ≤ maximum ≤ %d", MaxQuantity)
			}
			if item.Quantity < adj.Minimum || item.Quantity > adj.Maximum {
				return nil, nil, paylinks.Invalid("parameter_invalid", param+".quantity", "quantity must be within adjustable_quantity's minimum and maximum")
			}
			item.Adjustable = &adj
		}
		if i == 0 && p.Title == "" {
			prod, err := getCatalog[paylinks.Product](ctx, s, pr, price.ProductID, param+".price", it.PriceRef)
			if err != nil {
				return nil, nil, err
			}
			firstProduct = prod.Name
		}
		cart.LineItems = append(cart.LineItems, item)
		lines[i] = CartLine{UnitAmount: price.UnitAmount, Quantity: item.Quantity}
	}
	if p.Currency != "" && p.Currency != currency {
		return nil, nil, paylinks.Invalid("currency_mismatch", "currency", "the line items are in %s, not %s", currency, p.Currency)
	}
	var coupon *paylinks.Coupon
	if p.CouponID != nil {
		var err error
		if coupon, err = getCatalog[paylinks.Coupon](ctx, s, pr, *p.CouponID, "discounts[0].coupon", p.CouponRef); err != nil {
			return nil, nil, err
		}
		if !coupon.Active {
			return nil, nil, paylinks.Invalid("resource_inactive", "discounts[0].coupon", "the coupon %s is not active", p.CouponRef)
		}
		cart.CouponID = &coupon.ID
	}
	var rates []paylinks.TaxRate
	for i, id := range p.TaxRateIDs {
		param := fmt.Sprintf("tax_rates[%d]", i)
		r, err := getCatalog[paylinks.TaxRate](ctx, s, pr, id, param, p.TaxRateRefs[i])
		if err != nil {
			return nil, nil, err
		}
		if !r.Active {
			return nil, nil, paylinks.Invalid("resource_inactive", param, "the tax rate %s is not active", p.TaxRateRefs[i])
		}
		rates = append(rates, *r)
		cart.TaxRateIDs = append(cart.TaxRateIDs, id)
	}
	for i, id := range p.DynamicTaxRateIDs {
		param := fmt.Sprintf("dynamic_tax_rates[%d]", i)
		r, err := getCatalog[paylinks.TaxRate](ctx, s, pr, id, param, p.DynamicTaxRateRefs[i])
		if err != nil {
			return nil, nil, err
		}
		if !r.Active {
			return nil, nil, paylinks.Invalid("resource_inactive", param, "the tax rate %s is not active", p.DynamicTaxRateRefs[i])
		}
		if r.Country == "" {
			return nil, nil, paylinks.Invalid("parameter_invalid", param,
				"the tax rate %s has no country, so the page could never choose it by the payer's address", p.DynamicTaxRateRefs[i])
		}
		cart.DynamicTaxRateIDs = append(cart.DynamicTaxRateIDs, id)
	}
	if len(p.ShippingRateIDs) > MaxShippingOptions {
		return nil, nil, paylinks.Invalid("parameter_invalid", "shipping_options", "a link has at most %d shipping options", MaxShippingOptions)
	}
	for i, id := range p.ShippingRateIDs {
		param := fmt.Sprintf("shipping_options[%d].shipping_rate", i)
		r, err := getCatalog[paylinks.ShippingRate](ctx, s, pr, id, param, p.ShippingRateRefs[i])
		if err != nil {
			return nil, nil, err
		}
		if !r.Active {
			return nil, nil, paylinks.Invalid("resource_inactive", param, "the shipping rate %s is not active", p.ShippingRateRefs[i])
		}
		if r.Currency != currency {
			return nil, nil, paylinks.Invalid("currency_mismatch", param, "the shipping rate is in %s, the line items in %s", r.Currency, currency)
		}
		cart.ShippingRateIDs = append(cart.ShippingRateIDs, id)
	}
	for i := range lines {
		lines[i].TaxRates = rates
	}
	totals, err := Totals(Cart{Currency: currency, Lines: lines, Coupon: coupon})
	if err != nil {
		return nil, nil, err
	}
	if err := paylinks.CheckAmount(totals.Total, currency, "line_items"); err != nil {
		return nil, nil, paylinks.Invalid("invalid_amount", "line_items", "the link's total, %s %s, is out of the range a charge may have: %s",
			paylinks.FormatDecimal(totals.Total, currency), currency, paylinks.AsError(err).Message)
	}
	title := p.Title
	if title == "" {
		title = firstProduct
	}
	if _, err := checkLinkValues(pr, &title, &p.Description, totals.Total, currency, p.SuccessURL, p.CancelURL, nil); err != nil {
		return nil, nil, err
	}

	idem, made := idempotentRecord(ctx, pr)
	if made != nil {
		l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, *made)
		if err != nil {
			return nil, nil, fmt.Errorf("CreateCartLink: the link this request made before: %w", err)
		}
		carts, err := s.store.LinkCarts(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{l.ID})
		if err != nil {
			return nil, nil, fmt.Errorf("CreateCartLink: %w", err)
		}
		return l, carts[l.ID], nil
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, nil, err
	}
	l := &paylinks.Link{ID: id, AccountID: pr.AccountID, Livemode: pr.Livemode, Title: title, Description: p.Description,
		Amount: totals.Total, Currency: currency, Multiple: p.PaymentLimit != 1, Active: !p.Inactive, SuccessURL: p.SuccessURL,
		CancelURL: p.CancelURL, CreatedAt: now, UpdatedAt: now, ManualCapture: p.ManualCapture}
	if p.PaymentLimit > 1 {
		l.PaymentLimit = p.PaymentLimit
	}
	if cart.ExpiresAt != nil {
		at := cart.ExpiresAt.UTC().Truncate(time.Second)
		l.ExpiresAt, cart.ExpiresAt = &at, &at
	}
	for attempt := 0; ; attempt++ {
		if l.Slug, err = s.generateSlug(title); err != nil {
			return nil, nil, err
		}
		ev, err := s.newEvent(pr, "link.create", "link", l.ID, l, now)
		if err != nil {
			return nil, nil, err
		}
		err = s.store.CreateCartLink(ctx, l, cart, ev, idem)
		switch {
		case err == nil:
			return l, cart, nil
		case errors.Is(err, store.ErrKeyLost):
			return nil, nil, idempotencyKeyInUse()
		case !errors.Is(err, paylinks.ErrConflict) || attempt == 4:
			return nil, nil, fmt.Errorf("CreateCartLink: %w", err)
		}
	}
}

// LinkCarts returns the carts of those of the caller's links that sell
// catalog prices, by link id. A key with links:read or links:write may
// read them (a write answers with the link it changed).
func (s *Service) LinkCarts(ctx context.Context, pr paylinks.Principal, linkIDs []paylinks.ID) (map[paylinks.ID]*paylinks.LinkCart, error) {
	if !pr.Can(paylinks.ScopeLinksWrite) {
		if err := require(pr, paylinks.ScopeLinksRead); err != nil {
			return nil, err
		}
	}
	carts, err := s.store.LinkCarts(ctx, pr.AccountID, pr.Livemode, linkIDs)
	if err != nil {
		return nil, fmt.Errorf("LinkCarts: %w", err)
	}
	return carts, nil
}

// refuseCartRepricing refuses an update that sets the amount or currency of
// a link that sells line items: its amount is their total, so the two
// would disagree.
func (s *Service) refuseCartRepricing(ctx context.Context, pr paylinks.Principal, id paylinks.ID, u LinkUpdate) error {
	if u.Amount == nil && u.AmountDecimal == nil && u.Currency == nil {
		return nil
	}
	carts, err := s.store.LinkCarts(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{id})
	if err != nil {
		return fmt.Errorf("UpdateLink: %w", err)
	}
	if carts[id] == nil {
		return nil
	}
	param := "amount"
	if u.Amount == nil && u.AmountDecimal == nil {
		param = "currency"
	}
	return paylinks.Invalid("parameter_not_updatable", param,
		"this link sells line items: its %s comes from their prices and cannot be set; create a new link", param)
}
