package service

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// TestDeriveCryptoState is the state machine's table: the state a session
// quoted at 1000 wei (tolerance 1 %, 3 confirmations, expiring at T with a
// 10 minute grace) is in for each list of transfers.
func TestDeriveCryptoState(t *testing.T) {
	T := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &paylinks.SessionCrypto{QuoteWei: "1000", ToleranceBps: 100, Confirmations: 3, LateGrace: 10 * time.Minute}
	tr := func(wei string, conf uint64, at time.Duration) paylinks.CryptoTransfer {
		return paylinks.CryptoTransfer{TxHash: "0x" + wei, Wei: wei, BlockTime: T.Add(at), Confirmations: conf}
	}
	for _, tt := range []struct {
		name      string
		transfers []paylinks.CryptoTransfer
		want      paylinks.CryptoStatus
		received  string
		paidAt    time.Duration // when accepted: the last transfer's time
	}{
		{"nothing", nil, paylinks.CryptoPending, "0", 0},
		{"seen, 1 confirmation", []paylinks.CryptoTransfer{tr("1000", 1, -time.Minute)}, paylinks.CryptoDetected, "1000", 0},
		{"seen, 2 confirmations", []paylinks.CryptoTransfer{tr("1000", 2, -time.Minute)}, paylinks.CryptoDetected, "1000", 0},
		{"exact, 3 confirmations", []paylinks.CryptoTransfer{tr("1000", 3, -time.Minute)}, paylinks.CryptoPaid, "1000", -time.Minute},
		{"within tolerance below", []paylinks.CryptoTransfer{tr("990", 5, -time.Minute)}, paylinks.CryptoPaid, "990", -time.Minute},
		{"within tolerance above", []paylinks.CryptoTransfer{tr("1010", 5, -time.Minute)}, paylinks.CryptoPaid, "1010", -time.Minute},
		{"underpaid", []paylinks.CryptoTransfer{tr("989", 3, -time.Minute)}, paylinks.CryptoUnderpaid, "989", 0},
		{"overpaid", []paylinks.CryptoTransfer{tr("1011", 3, -time.Minute)}, paylinks.CryptoOverpaid, "1011", -time.Minute},
		{"two summing to the quote", []paylinks.CryptoTransfer{tr("400", 9, -5*time.Minute), tr("600", 3, -time.Minute)},
			paylinks.CryptoPaid, "1000", -time.Minute},
		{"two, the second unconfirmed", []paylinks.CryptoTransfer{tr("400", 9, -5*time.Minute), tr("600", 1, -time.Minute)},
			paylinks.CryptoDetected, "1000", 0},
		{"paid late", []paylinks.CryptoTransfer{tr("1000", 3, time.Minute)}, paylinks.CryptoPaidLate, "1000", time.Minute},
		{"paid at the grace's end", []paylinks.CryptoTransfer{tr("1000", 3, 10*time.Minute)}, paylinks.CryptoPaidLate, "1000", 10 * time.Minute},
		{"paid after the grace", []paylinks.CryptoTransfer{tr("1000", 3, 11*time.Minute)}, paylinks.CryptoFailed, "1000", 0},
		{"completed late by a second", []paylinks.CryptoTransfer{tr("500", 3, -time.Minute), tr("500", 3, 2*time.Minute)},
			paylinks.CryptoPaidLate, "1000", 2 * time.Minute},
		{"overpaid late", []paylinks.CryptoTransfer{tr("2000", 3, 2*time.Minute)}, paylinks.CryptoOverpaid, "2000", 2 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, sum, paidAt := deriveCryptoState(c, T, tt.transfers)
			if got != tt.want || sum.String() != tt.received {
				t.Errorf("state = %s, received %s; want %s, %s", got, sum, tt.want, tt.received)
			}
			switch {
			case tt.want.Accepted() && (paidAt == nil || !paidAt.Equal(T.Add(tt.paidAt))):
				t.Errorf("paidAt = %v, want %v", paidAt, T.Add(tt.paidAt))
			case !tt.want.Accepted() && paidAt != nil:
				t.Errorf("paidAt = %v, want none", paidAt)
			}
		})
	}
}
