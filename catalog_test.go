package paylinks_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

func TestParsePercent(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want paylinks.Percent
		ok   bool
		out  string
	}{
		{"8.875", 88750, true, "8.875"},
		{"20", 200000, true, "20"},
		{"0.5", 5000, true, "0.5"},
		{"0.0001", 1, true, "0.0001"},
		{"100", paylinks.OneHundredPercent, true, "100"},
		{"100.0000", paylinks.OneHundredPercent, true, "100"},
		{"0", 0, true, "0"},
		{"100.0001", 0, false, ""},
		{"1000", 0, false, ""},
		{"8.87501", 0, false, ""},
		{"-1", 0, false, ""},
		{"1e1", 0, false, ""},
		{"", 0, false, ""},
		{".5", 0, false, ""},
		{"5.", 0, false, ""},
		{" 5", 0, false, ""},
		{"5%", 0, false, ""},
	} {
		got, ok := paylinks.ParsePercent(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.out {
			t.Errorf("Percent(%d).String() = %q, want %q", got, got.String(), tt.out)
		}
	}
}

func TestCatalogItemRoundTrip(t *testing.T) {
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &paylinks.Coupon{Name: "Spring", PercentOff: 125000, Duration: paylinks.DurationOnce, MaxRedemptions: 5, RedeemBy: &until}
	c.ID, c.Active, c.TimesRedeemed = paylinks.ID{1}, true, 4
	it, err := paylinks.NewCatalogItem(c)
	if err != nil {
		t.Fatal(err)
	}
	if it.Kind != paylinks.CatalogCoupon || it.MaxRedemptions != 5 || !it.RedeemUntil.Equal(until) || it.Key != "" {
		t.Errorf("item: %+v", it)
	}
	// The columns win over Data's copies.
	it.Active, it.TimesRedeemed = false, 2
	var got paylinks.Coupon
	if err := paylinks.DecodeCatalogItem(it, &got); err != nil {
		t.Fatal(err)
	}
	if got.Active || got.TimesRedeemed != 2 || got.PercentOff != 125000 || got.Name != "Spring" || got.ID != c.ID {
		t.Errorf("decoded: %+v", got)
	}
	pc := &paylinks.PromotionCode{Code: "Spring-25", MaxRedemptions: 3, ExpiresAt: &until}
	if it, _ := paylinks.NewCatalogItem(pc); it.Key != "SPRING-25" || it.MaxRedemptions != 3 || !it.RedeemUntil.Equal(until) {
		t.Errorf("promotion code item: %+v", it)
	}
	if err := paylinks.DecodeCatalogItem(it, &paylinks.Product{}); err == nil {
		t.Errorf("a coupon decoded as a product")
	}
}
