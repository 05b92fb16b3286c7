package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the blank margin around a QR code, in modules (the
// standard asks for 4).
const quietZone = 4

// qrModules returns the modules of the QR code of text (true: dark),
// at error correction level M, without the quiet zone.
func qrModules(text string) ([][]bool, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	var m matrixWriter
	if err := q.Save(&m); err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return m.bits, nil
}

// matrixWriter is a qrcode.Writer that keeps the matrix.
type matrixWriter struct{ bits [][]bool }

func (w *matrixWriter) Write(mat qrcode.Matrix) error { w.bits = mat.Bitmap(); return nil }
func (w *matrixWriter) Close() error                  { return nil }

// qrSVG returns the QR code of text as an inline SVG: one path of unit
// squares, crisp at any size, with its quiet zone.
func qrSVG(text string) (template.HTML, error) {
	bits, err := qrModules(text)
	if err != nil {
		return "", err
	}
	n := len(bits) + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="QR code of the link's address" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#1a1f36" d="`, n, n, n, n)
	for y, row := range bits {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quietZone, y+quietZone)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// qrPNG returns the QR code of text as a PNG of whole-pixel modules, about
// 512 pixels wide.
func qrPNG(text string) ([]byte, error) {
	bits, err := qrModules(text)
	if err != nil {
		return nil, err
	}
	n := len(bits) + 2*quietZone
	scale := max(1, 512/n)
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, on := range row {
			if !on {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex((x+quietZone)*scale+dx, (y+quietZone)*scale+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr code png: %w", err)
	}
	return buf.Bytes(), nil
}
