package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
)

// claimStep is one call in a ClaimLink scenario: attempt (an index into the
// scenario's claim ids) claims at now until until, or releases its claim.
type claimStep struct {
	op         string // "claim", "release" or "delete"
	attempt    int
	now, until int
	want       error
}

func testClaimLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	claim := func(attempt, now, until int, want error) claimStep {
		return claimStep{"claim", attempt, now, until, want}
	}
	release := func(attempt int) claimStep { return claimStep{op: "release", attempt: attempt} }
	del := claimStep{op: "delete"}
	multi := func(l *paylinks.Link) { l.Multiple = true }

	tests := []struct {
		name  string
		edit  func(*paylinks.Link)
		steps []claimStep
	}{
		{"single-use: a second attempt conflicts until the first expires", nil, []claimStep{
			claim(0, 0, 10, nil),
			claim(1, 5, 15, paylinks.ErrConflict),
			claim(1, 11, 20, nil),
			claim(0, 12, 30, paylinks.ErrConflict),
		}},
		{"the same attempt may claim again", nil, []claimStep{
			claim(0, 0, 10, nil),
			claim(0, 5, 20, nil),
			claim(1, 15, 25, paylinks.ErrConflict),
		}},
		{"release then reclaim", nil, []claimStep{
			claim(0, 0, 10, nil),
			release(0),
			claim(1, 1, 10, nil),
			claim(0, 2, 10, paylinks.ErrConflict),
		}},
		{"release by another attempt keeps the claim", nil, []claimStep{
			claim(0, 0, 10, nil),
			release(1),
			claim(1, 1, 10, paylinks.ErrConflict),
		}},
		{"release without a claim", nil, []claimStep{
			release(0),
			claim(0, 0, 10, nil),
		}},
		{"multi-use is never claimed", multi, []claimStep{
			claim(0, 0, 10, nil),
			claim(1, 1, 10, nil),
			release(0),
			claim(2, 2, 10, nil),
		}},
		{"used", func(l *paylinks.Link) { l.Used, l.UsedAt = true, ptr(at(0)) }, []claimStep{
			claim(0, 1, 10, paylinks.ErrConflict),
		}},
		{"deleted", nil, []claimStep{
			del,
			claim(0, 1, 10, paylinks.ErrConflict),
		}},
		{"deleted while claimed", nil, []claimStep{
			claim(0, 0, 10, nil),
			del,
			claim(1, 11, 20, paylinks.ErrConflict),
		}},
		{"deleted multi-use", multi, []claimStep{
			del,
			claim(0, 1, 10, paylinks.ErrConflict),
		}},
	}
	for _, tt := range tests {
		l := f.newLink(t, a, false, 0, tt.edit)
		attempts := []paylinks.ID{f.id(t), f.id(t), f.id(t)}
		for i, s := range tt.steps {
			name := fmt.Sprintf("%s: step %d: %s by attempt %d", tt.name, i, s.op, s.attempt)
			var err error
			switch s.op {
			case "claim":
				err = f.s.ClaimLink(ctx, l.ID, attempts[s.attempt], at(s.now), at(s.until))
			case "release":
				err = f.s.ReleaseClaim(ctx, l.ID, attempts[s.attempt])
			case "delete":
				_, err = f.s.DeleteLink(ctx, a.ID, false, l.ID, at(s.now), nil)
			}
			wantErr(t, name, err, s.want)
		}
	}

	missing := f.id(t)
	wantErr(t, "ClaimLink(missing link)", f.s.ClaimLink(ctx, missing, f.id(t), at(0), at(10)), paylinks.ErrNotFound)
	wantErr(t, "ReleaseClaim(missing link)", f.s.ReleaseClaim(ctx, missing, f.id(t)), paylinks.ErrNotFound)
}

// testClaimLinkConcurrent races many attempts at one single-use link:
// exactly one may hold it.
func testClaimLinkConcurrent(t *testing.T, f *fixture) {
	const n = 50
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	attempts := make([]paylinks.ID, n)
	for i := range attempts {
		attempts[i] = f.id(t)
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f.s.ClaimLink(ctx, l.ID, attempts[i], at(1), at(100))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, paylinks.ErrConflict):
			t.Errorf("ClaimLink by attempt %d: got %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("concurrent ClaimLink: got %d winners, want 1", won)
	}
}
