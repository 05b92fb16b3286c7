package service

import (
	"time"

	"github.com/paylinks/paylinks"
)

func checkPage(offset, limit int, from, to time.Time) error {
	switch {
	case offset < 0:
		return paylinks.Invalid("invalid_page", "offset", "offset must not be negative")
	case limit < 1 || limit > MaxListLimit:
		return paylinks.Invalid("invalid_page", "limit", "limit must be between 1 and %d", MaxListLimit)
	case !from.IsZero() && !to.IsZero() && to.Before(from):
		return paylinks.Invalid("invalid_page", "to", "to must not be before from")
	}
	return nil
}
