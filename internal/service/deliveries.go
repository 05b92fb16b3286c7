package service

import (
	"context"
	"fmt"

	"github.com/paylinks/paylinks"
)

// EventDeliveries returns the webhook deliveries of one of the caller's
// events (status, attempts, last response) by endpoint, and the attempts
// made, oldest first. KindNotFound when the event is not the caller's.
func (s *Service) EventDeliveries(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) ([]paylinks.WebhookDelivery, []paylinks.WebhookAttempt, error) {
	if _, err := s.GetEvent(ctx, pr, id, display); err != nil {
		return nil, nil, err
	}
	ds, err := s.store.WebhookDeliveries(ctx, pr.AccountID, pr.Livemode, id)
	if err != nil {
		return nil, nil, fmt.Errorf("EventDeliveries: %w", err)
	}
	attempts, err := s.store.WebhookAttempts(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{id})
	if err != nil {
		return nil, nil, fmt.Errorf("EventDeliveries: %w", err)
	}
	return ds, attempts[id], nil
}
