package omise

import (
	"time"

	"github.com/paylinks/paylinks"
)

// list is Omise's List object.
type list struct {
	Object   string  `json:"object"`
	Data     []any   `json:"data"`
	Limit    int     `json:"limit"`
	Offset   int     `json:"offset"`
	Total    int     `json:"total"`
	Location string  `json:"location"`
	Order    *string `json:"order"`
	From     string  `json:"from"`
	To       string  `json:"to"`
}

var epoch = time.Unix(0, 0).UTC()

func orderName(o paylinks.Order) string {
	if o == paylinks.ReverseChronological {
		return "reverse_chronological"
	}
	return "chronological"
}

// newList builds a List object; nested lists of old versions have a null order.
func newList(location string, data []any, limit, offset, total int, order paylinks.Order, from, to time.Time, nullOrder bool) list {
	if data == nil {
		data = []any{}
	}
	fromText := epochText
	if !from.IsZero() && !from.Equal(epoch) {
		fromText = formatTime(from)
	}
	l := list{Object: "list", Data: data, Limit: limit, Offset: offset, Total: total, Location: location,
		From: fromText, To: formatTime(to)}
	if !nullOrder {
		l.Order = &orderNames[0]
		if order == paylinks.ReverseChronological {
			l.Order = &orderNames[1]
		}
	}
	return l
}

// epochText is formatTime(epoch), the from of most lists (and of every
// link's charges), and orderNames the values of their order: shared, never
// written, so that a list of links does not format or allocate them again
// for every link.
var (
	epochText  = formatTime(epoch)
	orderNames = [2]string{orderName(paylinks.Chronological), orderName(paylinks.ReverseChronological)}
)

// link2019 is the Link object of Omise-Version 2019-05-29, fields in the
// order the real API sends them.
type link2019 struct {
	Object      string  `json:"object"`
	ID          string  `json:"id"`
	Livemode    bool    `json:"livemode"`
	Location    string  `json:"location"`
	Deleted     bool    `json:"deleted"`
	Multiple    bool    `json:"multiple"`
	Used        bool    `json:"used"`
	Currency    string  `json:"currency"`
	Amount      int64   `json:"amount"`
	Charges     list    `json:"charges"`
	Description string  `json:"description"`
	Title       string  `json:"title"`
	PaymentURI  string  `json:"payment_uri"`
	CreatedAt   string  `json:"created_at"`
	UsedAt      *string `json:"used_at"`
	DeletedAt   *string `json:"deleted_at"`
}

// linkOld is the Link object of the versions before 2019-05-29.
type linkOld struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Livemode    bool   `json:"livemode"`
	Location    string `json:"location"`
	Deleted     bool   `json:"deleted"`
	Multiple    bool   `json:"multiple"`
	Used        bool   `json:"used"`
	Currency    string `json:"currency"`
	Amount      int64  `json:"amount"`
	Charges     list   `json:"charges"`
	Description string `json:"description"`
	Title       string `json:"title"`
	PaymentURI  string `json:"payment_uri"`
	Created     string `json:"created"`
}

// deletion is the reply of DELETE in the versions before 2019-05-29.
type deletion struct {
	Object   string `json:"object"`
	ID       string `json:"id"`
	Livemode bool   `json:"livemode"`
	Deleted  bool   `json:"deleted"`
}

// embeddedCharges is how many charges a link object embeds.
const embeddedCharges = 20

func (h *Handler) paymentURI(l *paylinks.Link) string { return h.publicURL + "/l/" + l.Slug }

// renderLink renders a link with its first charges.
func (h *Handler) renderLink(q *request, l *paylinks.Link, charges []paylinks.Charge, total int) any {
	id := formatID(prefixLink, l.Livemode, l.ID)
	data := make([]any, len(charges))
	for i := range charges {
		data[i] = h.renderLinkCharge(q, l, &charges[i])
	}
	now := h.now(q)
	cl := newList("/links/"+id+"/charges", data, embeddedCharges, 0, total, paylinks.Chronological, epoch, now, !q.modern())
	if q.modern() {
		return link2019{Object: "link", ID: id, Livemode: l.Livemode, Location: "/links/" + id, Deleted: l.Deleted(),
			Multiple: l.Multiple, Used: l.Used, Currency: l.Currency, Amount: l.Amount, Charges: cl,
			Description: l.Description, Title: l.Title, PaymentURI: h.paymentURI(l), CreatedAt: formatTime(l.CreatedAt),
			UsedAt: formatTimePtr(l.UsedAt), DeletedAt: formatTimePtr(l.DeletedAt)}
	}
	return linkOld{Object: "link", ID: id, Livemode: l.Livemode, Location: "/links/" + id, Deleted: l.Deleted(),
		Multiple: l.Multiple, Used: l.Used, Currency: q.currency(l.Currency), Amount: l.Amount, Charges: cl,
		Description: l.Description, Title: l.Title, PaymentURI: h.paymentURI(l), Created: formatTime(l.CreatedAt)}
}

// card is Omise's Card object.
type card struct {
	Object             string  `json:"object"`
	ID                 string  `json:"id"`
	Livemode           bool    `json:"livemode"`
	Location           *string `json:"location"`
	Deleted            bool    `json:"deleted"`
	Street1            *string `json:"street1"`
	Street2            *string `json:"street2"`
	City               *string `json:"city"`
	State              *string `json:"state"`
	PhoneNumber        *string `json:"phone_number"`
	PostalCode         *string `json:"postal_code"`
	Country            string  `json:"country"`
	Financing          string  `json:"financing"`
	Bank               string  `json:"bank"`
	Brand              string  `json:"brand"`
	Fingerprint        string  `json:"fingerprint"`
	FirstDigits        string  `json:"first_digits"`
	LastDigits         string  `json:"last_digits"`
	Name               string  `json:"name"`
	ExpirationMonth    int     `json:"expiration_month"`
	ExpirationYear     int     `json:"expiration_year"`
	SecurityCodeCheck  bool    `json:"security_code_check"`
	TokenizationMethod *string `json:"tokenization_method"`
	CreatedAt          string  `json:"created_at,omitempty"`
	Created            string  `json:"created,omitempty"`
}

func (q *request) renderCard(c *paylinks.Card, id paylinks.ID, livemode bool, created time.Time) card {
	v := card{Object: "card", ID: formatID(prefixCard, livemode, id), Livemode: livemode, Financing: "credit",
		Brand: c.Brand, Fingerprint: c.Fingerprint, FirstDigits: c.FirstDigits, LastDigits: c.LastDigits, Name: c.Name,
		ExpirationMonth: c.ExpirationMonth, ExpirationYear: c.ExpirationYear, SecurityCodeCheck: c.SecurityCodeCheck}
	if q.modern() {
		v.CreatedAt = formatTime(created)
	} else {
		v.Created = formatTime(created)
	}
	return v
}

// source is the source of a charge not made with a card: a checkout
// session paid in ETH has one of type crypto.
type source struct {
	Object   string `json:"object"`
	Type     string `json:"type"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// charge is Omise's Charge object (the fields a link flow produces).
type charge struct {
	Object          string            `json:"object"`
	ID              string            `json:"id"`
	Location        string            `json:"location"`
	Amount          int64             `json:"amount"`
	AuthorizedAmt   int64             `json:"authorized_amount"`
	CapturedAmount  int64             `json:"captured_amount"`
	AuthorizeURI    *string           `json:"authorize_uri"`
	Authorized      bool              `json:"authorized"`
	Capturable      bool              `json:"capturable"`
	Capture         bool              `json:"capture"`
	Card            *card             `json:"card"`
	Currency        string            `json:"currency"`
	Customer        *string           `json:"customer"`
	Description     string            `json:"description"`
	Disputable      bool              `json:"disputable"`
	Dispute         *string           `json:"dispute"`
	Expired         bool              `json:"expired"`
	ExpiresAt       *string           `json:"expires_at"`
	FailureCode     *string           `json:"failure_code"`
	FailureMessage  *string           `json:"failure_message"`
	Fee             int64             `json:"fee"`
	FeeVat          int64             `json:"fee_vat"`
	FundingAmount   int64             `json:"funding_amount"`
	FundingCurrency string            `json:"funding_currency"`
	IP              *string           `json:"ip"`
	Link            *string           `json:"link"`
	Livemode        bool              `json:"livemode"`
	Metadata        map[string]string `json:"metadata"`
	Net             int64             `json:"net"`
	Paid            bool              `json:"paid"`
	PaidAt          *string           `json:"paid_at"`
	Refundable      bool              `json:"refundable"`
	RefundedAmount  int64             `json:"refunded_amount"`
	Refunds         list              `json:"refunds"`
	ReturnURI       *string           `json:"return_uri"`
	Reversed        bool              `json:"reversed"`
	ReversedAt      *string           `json:"reversed_at"`
	ExpiredAt       *string           `json:"expired_at"`
	Reversible      bool              `json:"reversible"`
	Source          *source           `json:"source"`
	Status          string            `json:"status"`
	Transaction     *string           `json:"transaction"`
	Voided          bool              `json:"voided"`
	CreatedAt       string            `json:"created_at,omitempty"`
	Created         string            `json:"created,omitempty"`
	Captured        *bool             `json:"captured,omitempty"` // 2014-07-27 only
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// renderLinkCharge renders a charge made through link l, whose return_uri
// is the link's payment_uri + "/complete".
func (h *Handler) renderLinkCharge(q *request, l *paylinks.Link, c *paylinks.Charge) any {
	v := h.renderCharge(q, c).(charge)
	v.ReturnURI = strPtr(h.paymentURI(l) + "/complete")
	return v
}

// renderCharge renders a charge in the caller's version, its flags
// derived as Omise derives them.
func (h *Handler) renderCharge(q *request, c *paylinks.Charge) any {
	id := formatID(prefixCharge, c.Livemode, c.ID)
	paid := c.Paid()
	now := h.svc.Now()
	capturable := c.Capturable(now)
	v := charge{Object: "charge", ID: id, Location: "/charges/" + id, Amount: c.Amount, Authorized: c.Authorized(),
		AuthorizedAmt: c.AuthorizedAmount, CapturedAmount: c.CapturedAmount, Capturable: capturable,
		Capture: c.Capture, Currency: q.currency(c.Currency), Description: c.Description, Disputable: paid,
		Expired: c.ExpiredAt != nil, ExpiresAt: formatTimePtr(c.ExpiresAt), ExpiredAt: formatTimePtr(c.ExpiredAt),
		FailureCode: strPtr(c.FailureCode), FailureMessage: strPtr(c.FailureMessage),
		FundingAmount: c.Amount, FundingCurrency: q.currency(c.Currency), IP: strPtr(c.IP), Livemode: c.Livemode, Metadata: c.Metadata,
		Net: c.CapturedAmount - c.RefundedAmount, Paid: paid, PaidAt: formatTimePtr(c.PaidAt), Refundable: c.Refundable(),
		RefundedAmount: c.RefundedAmount, Reversed: c.ReversedAt != nil, ReversedAt: formatTimePtr(c.ReversedAt),
		Reversible: capturable, Voided: c.ReversedAt != nil, Status: string(c.Status),
		Refunds: newList("/charges/"+id+"/refunds", nil, 20, 0, 0, paylinks.Chronological, epoch, now, !q.modern())}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if c.Card.LastDigits != "" {
		cv := q.renderCard(&c.Card, c.CardID, c.Livemode, c.CreatedAt)
		v.Card = &cv
	}
	if c.SourceType != "" {
		v.Source = &source{Object: "source", Type: c.SourceType, Amount: c.Amount, Currency: q.currency(c.Currency)}
	}
	if c.LinkID != nil {
		v.Link = strPtr(formatID(prefixLink, c.Livemode, *c.LinkID))
	}
	if c.TransactionID != nil {
		v.Transaction = strPtr(formatID(prefixTrxn, c.Livemode, *c.TransactionID))
	}
	if q.modern() {
		v.CreatedAt = formatTime(c.CreatedAt)
	} else {
		v.Created = formatTime(c.CreatedAt)
	}
	if q.version == V20140727 {
		v.Captured = &paid
	}
	return v
}

// now is the time objects are rendered at: the event's for an event's
// object (so an event renders the same every time, in GET /events and in
// every webhook attempt), else the service clock's.
func (h *Handler) now(q *request) time.Time {
	if !q.at.IsZero() {
		return q.at
	}
	return h.svc.Now()
}
