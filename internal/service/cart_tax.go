package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Tax by the payer's address. A cart link's own tax rates always apply.
// With dynamic tax rates, those of them that match the payer's address
// apply too; with automatic tax (when no dynamic rate matched), those of
// the account's active tax rates that match it. paylinks is not a tax
// engine: it picks among rates the merchant made, nothing more.
//
// A rate matches an address when its country is the address's and its
// state is empty (the whole country) or the address's state, compared
// without regard to case. Every matching rate applies, so a country-wide
// rate and a state's rate add up (as GST and PST do in Canada). The
// address is the shipping address when the link collects one, else the
// billing address; without either, no rate is chosen.

// RatesForAddress returns the rates of candidates that match the address
// (nil address or country: none), in the order given.
func RatesForAddress(candidates []paylinks.TaxRate, a *paylinks.Address) []paylinks.TaxRate {
	if a == nil || len(a.Country) != 2 {
		return nil
	}
	var out []paylinks.TaxRate
	for _, r := range candidates {
		if !r.Active || !strings.EqualFold(r.Country, a.Country) {
			continue
		}
		if r.State == "" || strings.EqualFold(strings.TrimSpace(r.State), strings.TrimSpace(a.State)) {
			out = append(out, r)
		}
	}
	return out
}

// taxAddress is the address a cart's tax is chosen by.
func taxAddress(cart *paylinks.LinkCart, ch CartChoice) *paylinks.Address {
	if len(cart.ShippingCountries) > 0 && ch.ShippingAddress != nil {
		return ch.ShippingAddress
	}
	return ch.BillingAddress
}

// maxAutomaticRates bounds the account's tax rates automatic tax reads.
const maxAutomaticRates = 500

// addressTaxRates returns the rates the payer's address adds to link l's
// cart: its matching dynamic rates, else (with automatic tax) the
// account's matching active rates.
func (s *Service) addressTaxRates(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, ch CartChoice) ([]paylinks.TaxRate, error) {
	a := taxAddress(cart, ch)
	if a == nil || (len(cart.DynamicTaxRateIDs) == 0 && !cart.AutomaticTax) {
		return nil, nil
	}
	var dynamic []paylinks.TaxRate
	for _, id := range cart.DynamicTaxRateIDs {
		r, err := catalogObject[paylinks.TaxRate](ctx, s, l, id)
		if err != nil {
			return nil, err
		}
		dynamic = append(dynamic, *r)
	}
	if rs := RatesForAddress(dynamic, a); len(rs) > 0 || !cart.AutomaticTax {
		return rs, nil
	}
	active := true
	items, _, err := s.store.ListCatalogItems(ctx, store.CatalogFilter{AccountID: l.AccountID, Livemode: l.Livemode,
		Kind: paylinks.CatalogTaxRate, Active: &active, Limit: maxAutomaticRates})
	if err != nil {
		return nil, fmt.Errorf("automatic tax: %w", err)
	}
	all := make([]paylinks.TaxRate, 0, len(items))
	for i := range items {
		var r paylinks.TaxRate
		if err := paylinks.DecodeCatalogItem(&items[i], &r); err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	// The oldest first, so that the order of the tax lines is stable.
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return RatesForAddress(all, a), nil
}
