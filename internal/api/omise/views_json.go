package omise

import (
	"strconv"

	"github.com/paylinks/paylinks/internal/api"
)

// The List and Link objects write their own JSON (api.JSONAppender): the
// same bytes as encoding/json writes for their struct tags, checked by
// TestViewsJSONMatchEncodingJSON. Objects without an AppendJSON (charges)
// inside them go through encoding/json.

// AppendJSON writes l as encoding/json writes list.
func (l list) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = api.AppendJSONField(b, "object", true)
	b = api.AppendJSONString(b, l.Object)
	b = api.AppendJSONField(b, "data", false)
	if l.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range l.Data {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = api.AppendJSONValue(b, v); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = api.AppendJSONField(b, "limit", false)
	b = strconv.AppendInt(b, int64(l.Limit), 10)
	b = api.AppendJSONField(b, "offset", false)
	b = strconv.AppendInt(b, int64(l.Offset), 10)
	b = api.AppendJSONField(b, "total", false)
	b = strconv.AppendInt(b, int64(l.Total), 10)
	b = api.AppendJSONField(b, "location", false)
	b = api.AppendJSONString(b, l.Location)
	b = api.AppendJSONField(b, "order", false)
	b = api.AppendJSONStringPtr(b, l.Order)
	b = api.AppendJSONField(b, "from", false)
	b = api.AppendJSONString(b, l.From)
	b = api.AppendJSONField(b, "to", false)
	b = api.AppendJSONString(b, l.To)
	return append(b, '}'), nil
}

// linkHead writes the fields both Link objects begin with, up to amount.
func linkHead(b []byte, object, id string, livemode bool, location string, deleted, multiple, used bool, currency string, amount int64) []byte {
	b = append(b, '{')
	b = api.AppendJSONField(b, "object", true)
	b = api.AppendJSONString(b, object)
	b = api.AppendJSONField(b, "id", false)
	b = api.AppendJSONString(b, id)
	b = api.AppendJSONField(b, "livemode", false)
	b = strconv.AppendBool(b, livemode)
	b = api.AppendJSONField(b, "location", false)
	b = api.AppendJSONString(b, location)
	b = api.AppendJSONField(b, "deleted", false)
	b = strconv.AppendBool(b, deleted)
	b = api.AppendJSONField(b, "multiple", false)
	b = strconv.AppendBool(b, multiple)
	b = api.AppendJSONField(b, "used", false)
	b = strconv.AppendBool(b, used)
	b = api.AppendJSONField(b, "currency", false)
	b = api.AppendJSONString(b, currency)
	b = api.AppendJSONField(b, "amount", false)
	return strconv.AppendInt(b, amount, 10)
}

// linkMiddle writes the fields both Link objects have after amount, from
// charges to payment_uri.
func linkMiddle(b []byte, charges list, description, title, paymentURI string) ([]byte, error) {
	b = api.AppendJSONField(b, "charges", false)
	b, err := charges.AppendJSON(b)
	if err != nil {
		return b, err
	}
	b = api.AppendJSONField(b, "description", false)
	b = api.AppendJSONString(b, description)
	b = api.AppendJSONField(b, "title", false)
	b = api.AppendJSONString(b, title)
	b = api.AppendJSONField(b, "payment_uri", false)
	return api.AppendJSONString(b, paymentURI), nil
}

// AppendJSON writes v as encoding/json writes link2019.
func (v link2019) AppendJSON(b []byte) ([]byte, error) {
	b = linkHead(b, v.Object, v.ID, v.Livemode, v.Location, v.Deleted, v.Multiple, v.Used, v.Currency, v.Amount)
	b, err := linkMiddle(b, v.Charges, v.Description, v.Title, v.PaymentURI)
	if err != nil {
		return b, err
	}
	b = api.AppendJSONField(b, "created_at", false)
	b = api.AppendJSONString(b, v.CreatedAt)
	b = api.AppendJSONField(b, "used_at", false)
	b = api.AppendJSONStringPtr(b, v.UsedAt)
	b = api.AppendJSONField(b, "deleted_at", false)
	b = api.AppendJSONStringPtr(b, v.DeletedAt)
	return append(b, '}'), nil
}

// AppendJSON writes v as encoding/json writes linkOld.
func (v linkOld) AppendJSON(b []byte) ([]byte, error) {
	b = linkHead(b, v.Object, v.ID, v.Livemode, v.Location, v.Deleted, v.Multiple, v.Used, v.Currency, v.Amount)
	b, err := linkMiddle(b, v.Charges, v.Description, v.Title, v.PaymentURI)
	if err != nil {
		return b, err
	}
	b = api.AppendJSONField(b, "created", false)
	b = api.AppendJSONString(b, v.Created)
	return append(b, '}'), nil
}
