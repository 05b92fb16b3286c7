package postgres

import (
	"context"

	"github.com/paylinks/paylinks"
)

// countingScanner scans a charge row followed by one extra column, the
// link's number of charges.
type countingScanner struct {
	row rowScanner
	n   *int
}

func (s countingScanner) Scan(dest ...any) error { return s.row.Scan(append(dest, s.n)...) }

// LinkCharges returns the first per charges of each link and each link's
// number of charges, with one query over the charges-by-link index.
func (db *DB) LinkCharges(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID, per int) (_ map[paylinks.ID][]paylinks.Charge, _ map[paylinks.ID]int, err error) {
	defer wrap(&err, "LinkCharges")
	charges, totals := map[paylinks.ID][]paylinks.Charge{}, map[paylinks.ID]int{}
	if len(linkIDs) == 0 {
		return charges, totals, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+chargeColumns+`, n FROM (
		SELECT `+chargeColumns+`,
			row_number() OVER (PARTITION BY link_id ORDER BY created_at, id) AS rn,
			count(*) OVER (PARTITION BY link_id) AS n
		FROM charges
		WHERE account_id = $1 AND livemode = $2 AND link_id = ANY($3)
	) c WHERE rn <= $4 ORDER BY link_id, rn`, accountID, livemode, linkIDs, per)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		c, err := scanCharge(countingScanner{rows, &n})
		if err != nil {
			return nil, nil, err
		}
		charges[*c.LinkID] = append(charges[*c.LinkID], *c)
		totals[*c.LinkID] = n
	}
	return charges, totals, rows.Err()
}
