package omise

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/paylinks/paylinks/internal/api"
)

// TestViewsJSONMatchEncodingJSON renders lists of Link objects of both
// versions, with strings that need escaping, null and set times, orders
// and embedded charges, through their AppendJSON and through encoding/json:
// the bytes must be the same, as must WriteJSON's body either way.
func TestViewsJSONMatchEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	strs := []string{"", "Hot Latte", `a "quoted" \ title`, "<b>&</b>", "tab\tline\n", "\x00\x1f", "☕ 𝄞 héllo",
		"sep\u2028\u2029", "bad\xff\xfeutf8", "https://shop.example.com/thanks?a=1&b=2"}
	str := func() string { return strs[r.IntN(len(strs))] }
	ptr := func() *string {
		if r.IntN(2) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	chargeList := func() list {
		var data []any
		for range r.IntN(3) {
			data = append(data, charge{Object: "charge", ID: str(), Amount: r.Int64N(1 << 40), Currency: str(),
				Description: str(), FailureCode: ptr(), Status: str()})
		}
		l := newList(str(), data, 20, 0, len(data), 0, epoch, epoch, r.IntN(2) == 0)
		if r.IntN(5) == 0 {
			l.Data = nil // as encoding/json writes a nil slice: null
		}
		return l
	}
	for range 300 {
		var data []any
		for range r.IntN(4) {
			if r.IntN(2) == 0 {
				data = append(data, link2019{Object: "link", ID: str(), Livemode: r.IntN(2) == 0, Location: str(),
					Deleted: r.IntN(2) == 0, Multiple: r.IntN(2) == 0, Used: r.IntN(2) == 0, Currency: str(),
					Amount: r.Int64N(1<<53) - 1<<52, Charges: chargeList(), Description: str(), Title: str(),
					PaymentURI: str(), CreatedAt: str(), UsedAt: ptr(), DeletedAt: ptr()})
			} else {
				data = append(data, linkOld{Object: "link", ID: str(), Livemode: r.IntN(2) == 0, Location: str(),
					Deleted: r.IntN(2) == 0, Multiple: r.IntN(2) == 0, Used: r.IntN(2) == 0, Currency: str(),
					Amount: r.Int64N(1 << 40), Charges: chargeList(), Description: str(), Title: str(),
					PaymentURI: str(), Created: str()})
			}
		}
		outer := newList(str(), data, r.IntN(101), r.IntN(1000), r.IntN(100000), 1, epoch, epoch, r.IntN(3) == 0)
		for _, v := range append([]any{outer}, data...) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.(api.JSONAppender).AppendJSON(nil)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON of %T:\n got %s, %v\nwant %s", v, got, err, want)
			}
		}
	}
}
