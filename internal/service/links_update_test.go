package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/paylinks/paylinks/internal/service"
)

// TestUpdateLinkConcurrentNoLostUpdate sends concurrent updates of
// different fields of one link: every one of them must survive.
func TestUpdateLinkConcurrentNoLostUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		for round := range 10 {
			l := e.link(t, e.secret, service.LinkParams{Amount: 5000, Multiple: true})
			title, desc := fmt.Sprint("title ", round), fmt.Sprint("description ", round)
			success, cancel := fmt.Sprintf("https://shop.example.com/ok/%d", round), fmt.Sprintf("https://shop.example.com/cancel/%d", round)
			inactive := false
			updates := []service.LinkUpdate{{Title: &title}, {Description: &desc}, {SuccessURL: &success}, {CancelURL: &cancel}, {Active: &inactive}}
			var wg sync.WaitGroup
			errs := make(chan error, len(updates))
			for _, u := range updates {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", u); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("round %d: UpdateLink: %v", round, err)
			}
			got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != title || got.Description != desc || got.SuccessURL != success || got.CancelURL != cancel || got.Active {
				t.Fatalf("round %d: an update was lost: %+v", round, got)
			}
		}
	})
}
