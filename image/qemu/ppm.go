package qemu

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
)

// maxSide bounds a screendump's width and height.
const maxSide = 8192

// ReadPPM decodes the binary PPM (P6, maxval 255) that QEMU's screendump
// writes, so screenshots can be compared and saved as PNG.
func ReadPPM(r io.Reader) (*image.RGBA, error) {
	br := bufio.NewReader(r)
	var fields [4]int
	magic, err := token(br)
	if err != nil || magic != "P6" {
		return nil, fmt.Errorf("qemu: not a binary PPM (magic %q)", magic)
	}
	for i := 1; i < 4; i++ {
		t, err := token(br)
		if err != nil {
			return nil, fmt.Errorf("qemu: PPM header: %w", err)
		}
		if fields[i], err = strconv.Atoi(t); err != nil || fields[i] <= 0 {
			return nil, fmt.Errorf("qemu: PPM header field %q", t)
		}
	}
	w, h, maxval := fields[1], fields[2], fields[3]
	if w > maxSide || h > maxSide || maxval != 255 {
		return nil, fmt.Errorf("qemu: PPM %dx%d maxval %d unsupported", w, h, maxval)
	}
	// Read the pixels before allocating the image, so a header that lies
	// about its size costs only the bytes that are really there.
	want := int64(3 * w * h)
	px, err := io.ReadAll(io.LimitReader(br, want))
	if err != nil || int64(len(px)) != want {
		return nil, fmt.Errorf("qemu: PPM pixels: %d of %d bytes (%v)", len(px), want, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		row := px[3*w*y:]
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{row[3*x], row[3*x+1], row[3*x+2], 0xff})
		}
	}
	return img, nil
}

// token reads one whitespace-separated header token (PPM comments, "#"
// to end of line, are skipped); the single whitespace after the last
// header field is consumed with it.
func token(br *bufio.Reader) (string, error) {
	var t []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		switch {
		case c == '#' && len(t) == 0:
			if _, err := br.ReadBytes('\n'); err != nil {
				return "", err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(t) > 0 {
				return string(t), nil
			}
		default:
			if len(t) > 16 {
				return "", fmt.Errorf("header token too long")
			}
			t = append(t, c)
		}
	}
}
