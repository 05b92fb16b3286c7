package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// homeTopLinks and homeLatest size the home page's lists.
const (
	homeTopLinks = 5
	homeLatest   = 10
)

// chart is the home page's SVG bar chart: one bar per day of the period.
type chart struct {
	Title, Desc string
	Width       int
	Height      int
	Bars        []bar
	Currency    string // the currency charted, "" when nothing sold
	Max         string // the top of the scale, formatted
}

type bar struct {
	X, Y, W, H int
	Label      string // the day and its sum, for the bar's <title>
}

type homeData struct {
	Summary *service.Summary
	Chart   chart
	Latest  []paylinks.Charge
	Newest  string
}

// Home serves GET /dashboard: today's and the period's payments and volume
// per currency, a bar chart of the period's days, the links that sold the
// most, and the latest payments (added as they arrive).
func (h *Handler) Home(w http.ResponseWriter, r *http.Request, s *session) {
	sum, err := h.svc.Summary(r.Context(), s.pr, homeTopLinks)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	latest, err := h.svc.ChargePage(r.Context(), s.pr, service.CursorPage{Limit: homeLatest})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := homeData{Summary: sum, Chart: dayChart(sum), Latest: latest.Items}
	if len(latest.Items) > 0 {
		d.Newest = paylinks.FormatBase36(latest.Items[0].ID)
	}
	v := h.newView(s, "Home")
	v.Nav, v.Data, v.Script = "home", d, true
	h.render(w, r, http.StatusOK, "home", v)
}

// dayChart draws the volume of the period's main currency (the one that
// sold the most) per day; volumes of different currencies are not added.
func dayChart(sum *service.Summary) chart {
	c := chart{Width: 600, Height: 160}
	if len(sum.Period) > 0 {
		c.Currency = sum.Period[0].Currency
	}
	vol := func(d service.DaySums) int64 {
		for _, s := range d.Sums {
			if s.Currency == c.Currency {
				return s.Volume
			}
		}
		return 0
	}
	var top int64
	for _, d := range sum.Days {
		top = max(top, vol(d))
	}
	n := len(sum.Days)
	if n == 0 {
		return c
	}
	slot := c.Width / n
	for i, d := range sum.Days {
		v := vol(d)
		hgt := 0
		if top > 0 {
			hgt = int(v * int64(c.Height-10) / top)
		}
		if v > 0 && hgt < 2 {
			hgt = 2
		}
		label := d.Day.Format("2 Jan") + ": nothing sold"
		if c.Currency != "" {
			label = d.Day.Format("2 Jan") + ": " + formatMoney(v, c.Currency)
		}
		c.Bars = append(c.Bars, bar{X: i*slot + 1, Y: c.Height - hgt, W: slot - 2, H: hgt, Label: label})
	}
	first, last := sum.Days[0].Day, sum.Days[n-1].Day
	if c.Currency == "" {
		c.Title = "Payments per day"
		c.Desc = fmt.Sprintf("No payments from %s to %s.", first.Format("2 Jan"), last.Format("2 Jan 2006"))
		return c
	}
	c.Max = formatMoney(top, c.Currency)
	c.Title = "Volume per day in " + c.Currency
	c.Desc = fmt.Sprintf("Daily volume of successful payments in %s from %s to %s; the highest day is %s.",
		c.Currency, first.Format("2 Jan"), last.Format(time.DateOnly), c.Max)
	return c
}
