package payments

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

func TestSimulator(t *testing.T) {
	tests := []struct {
		number      string
		wantSuccess bool
		wantCode    string
		wantCSC     bool
	}{
		{"4242424242424242", true, "", true},
		{"378282246310005", true, "", true},
		{"4111111111140011", false, FailInsufficientFund, true},
		{"5555551111100012", false, FailStolenOrLostCard, true},
		{"6447032400001111005", false, FailFailedProcessing, true},
		{"3530111111160014", false, FailPaymentRejected, true},
		{"4111111111160001", false, FailInvalidSecurityCode, false},
		{"4111111111190016", false, FailFailedFraudCheck, true},
		{"4111111111180017", false, FailInvalidAccountNumber, true},
		{"4000056655665556", false, FailPaymentRejected, true}, // not a test card
	}
	ctx := context.Background()
	sim := &Simulator{}
	for _, tt := range tests {
		ref, err := sim.Tokenize(ctx, CardDetails{Number: tt.number, ExpirationMonth: 1, ExpirationYear: 2030})
		if err != nil {
			t.Fatalf("Tokenize(%s): %v", tt.number, err)
		}
		if strings.Contains(ref, tt.number) {
			t.Errorf("reference %q holds the card number", ref)
		}
		got, err := sim.Charge(ctx, ChargeRequest{Ref: ref, Amount: 10000, Currency: "THB"})
		if err != nil {
			t.Fatalf("Charge(%s): %v", tt.number, err)
		}
		if got.Success != tt.wantSuccess || got.FailureCode != tt.wantCode || got.SecurityCodeCheck != tt.wantCSC {
			t.Errorf("Charge(%s) = %+v, want success %v code %q csc %v", tt.number, got, tt.wantSuccess, tt.wantCode, tt.wantCSC)
		}
		if !got.Success && got.FailureMessage == "" {
			t.Errorf("Charge(%s): no failure message", tt.number)
		}
	}
}

func TestSimulatorNotATestCardMessage(t *testing.T) {
	sim := &Simulator{}
	ref, _ := sim.Tokenize(context.Background(), CardDetails{Number: "4000056655665556"})
	got, _ := sim.Charge(context.Background(), ChargeRequest{Ref: ref})
	if !strings.Contains(got.FailureMessage, "test card") {
		t.Errorf("message %q does not say to use a test card", got.FailureMessage)
	}
}

func TestSimulatorDelayHonoursContext(t *testing.T) {
	sim := &Simulator{Delay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := sim.Charge(ctx, ChargeRequest{Ref: simRefPrefix + outcomeSuccess}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Charge with an expired context: err = %v, want DeadlineExceeded", err)
	}
}

func TestSimulatorForeignRef(t *testing.T) {
	if _, err := (&Simulator{}).Charge(context.Background(), ChargeRequest{Ref: "live:xyz"}); err == nil {
		t.Error("Charge of a foreign reference: err = nil")
	}
}

func TestUnconfigured(t *testing.T) {
	var p Processor = Unconfigured{}
	if Available(p) {
		t.Error("Available(Unconfigured) = true")
	}
	if !Available(&Simulator{}) {
		t.Error("Available(Simulator) = false")
	}
	_, err := p.Tokenize(context.Background(), CardDetails{})
	if got := paylinks.KindOf(err); got != paylinks.KindUnavailable {
		t.Errorf("Tokenize: kind %q, want %q", got, paylinks.KindUnavailable)
	}
	_, err = p.Charge(context.Background(), ChargeRequest{})
	if got := paylinks.KindOf(err); got != paylinks.KindUnavailable {
		t.Errorf("Charge: kind %q, want %q", got, paylinks.KindUnavailable)
	}
}

// TestSimulatorCaptureRefund: a capture of an authorization the ledger
// holds succeeds up to its amount, a refund of a charge succeeds except for
// RefundFailsCard, each recorded under its own key (repeated: the first
// outcome), and Lookup finds them.
func TestSimulatorCaptureRefund(t *testing.T) {
	ctx := context.Background()
	sim := &Simulator{Ledger: &MemoryLedger{}}
	ok, _ := sim.Tokenize(ctx, CardDetails{Number: "4242424242424242"})
	bad, _ := sim.Tokenize(ctx, CardDetails{Number: RefundFailsCard})
	for _, k := range []string{"c1", "c2"} {
		ref := ok
		if k == "c2" {
			ref = bad
		}
		if out, err := sim.Charge(ctx, ChargeRequest{Ref: ref, Amount: 5000, Currency: "THB", IdempotencyKey: k}); err != nil || !out.Success {
			t.Fatalf("Charge %s = %+v, %v", k, out, err)
		}
	}
	if out, err := sim.Capture(ctx, CaptureRequest{ChargeKey: "c1", Amount: 5001, IdempotencyKey: "cap0"}); err != nil || out.Success || out.FailureCode != FailFailedCapture {
		t.Errorf("capture above the authorization = %+v, %v; want failed_capture", out, err)
	}
	if out, err := sim.Capture(ctx, CaptureRequest{ChargeKey: "nothing", Amount: 1, IdempotencyKey: "cap1"}); err != nil || out.Success {
		t.Errorf("capture of no authorization = %+v, %v; want refused", out, err)
	}
	out, err := sim.Capture(ctx, CaptureRequest{ChargeKey: "c1", Amount: 4000, IdempotencyKey: "cap2"})
	if err != nil || !out.Success {
		t.Fatalf("Capture = %+v, %v", out, err)
	}
	if got, found, err := sim.Lookup(ctx, "cap2"); err != nil || !found || !got.Success {
		t.Errorf("Lookup(capture) = %+v, %v, %v", got, found, err)
	}
	if out, err := sim.Refund(ctx, RefundRequest{ChargeKey: "c1", Ref: ok, Amount: 1000, IdempotencyKey: "r1"}); err != nil || !out.Success {
		t.Errorf("Refund = %+v, %v", out, err)
	}
	out, err = sim.Refund(ctx, RefundRequest{ChargeKey: "c2", Ref: bad, Amount: 1000, IdempotencyKey: "r2"})
	if err != nil || out.Success || out.FailureCode != FailFailedRefund || out.FailureMessage == "" {
		t.Errorf("Refund of the refund-failing card = %+v, %v; want failed_refund", out, err)
	}
	// The same key again: the first outcome, even with another card.
	if again, err := sim.Refund(ctx, RefundRequest{ChargeKey: "c1", Ref: ok, Amount: 1000, IdempotencyKey: "r2"}); err != nil || again != out {
		t.Errorf("repeated refund key = %+v, %v; want the first outcome", again, err)
	}
	// A key a lookup voided refuses the operation.
	if _, found, _ := sim.Lookup(ctx, "r3"); found {
		t.Fatal("Lookup of an unused key found something")
	}
	if _, err := sim.Refund(ctx, RefundRequest{ChargeKey: "c1", Ref: ok, Amount: 1000, IdempotencyKey: "r3"}); !errors.Is(err, ErrKeyVoided) {
		t.Errorf("refund with a voided key: %v, want ErrKeyVoided", err)
	}
}
