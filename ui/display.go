package ui

import (
	"image"
	"image/draw"
)

// Display shows frames. The UI renders into its own RGBA frame and hands the
// display only the rectangles that changed; ui/fb's Device is one, and
// ImageDisplay adapts any draw.Image.
type Display interface {
	Bounds() image.Rectangle
	Flush(frame *image.RGBA, rects []image.Rectangle) error
}

// ImageDisplay returns a Display that copies changed rectangles into dst: a
// window, a test image, or a framebuffer exposed as a draw.Image.
func ImageDisplay(dst draw.Image) Display { return imageDisplay{dst} }

type imageDisplay struct{ dst draw.Image }

func (d imageDisplay) Bounds() image.Rectangle { return d.dst.Bounds() }

func (d imageDisplay) Flush(frame *image.RGBA, rects []image.Rectangle) error {
	for _, r := range rects {
		draw.Draw(d.dst, r, frame, r.Min, draw.Src)
	}
	return nil
}
