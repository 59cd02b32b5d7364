package ui

import (
	"fmt"
	"image"
	"testing"

	"mehfooz/daemon/state"
	"mehfooz/ui/fb"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
)

// benchCore is a UI showing the contact list, with an XRGB8888 framebuffer
// in memory (the QEMU board's format) as its display.
func benchCore(b *testing.B, sz image.Point) (*core, []byte, fb.Format) {
	th, err := theme.New(image.Rectangle{Max: sz}, theme.Dark)
	if err != nil {
		b.Fatal(err)
	}
	c := newCore(th, func(state.Intent) {}, t0)
	c.apply(base(), t0)
	c.render()
	f := fb.Format{Width: sz.X, Height: sz.Y, Stride: sz.X * 4, BitsPerPixel: 32,
		Red: fb.Bitfield{Offset: 16, Length: 8}, Green: fb.Bitfield{Offset: 8, Length: 8}, Blue: fb.Bitfield{Offset: 0, Length: 8}}
	return c, make([]byte, f.Stride*sz.Y), f
}

// BenchmarkFullRedraw repaints the whole contact list and copies it to the
// framebuffer: what a screen change costs.
func BenchmarkFullRedraw(b *testing.B) {
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			c, mem, f := benchCore(b, sz)
			b.ReportAllocs()
			for b.Loop() {
				c.cur.Root().InvalidateAll()
				for _, r := range c.render() {
					fb.Blit(mem, f, c.frame, r)
				}
			}
			b.ReportMetric(float64(sz.X*sz.Y), "px/op")
		})
	}
}

// BenchmarkKeyRepaint is one key press on the contact list: the selection
// moves a row, the two rows involved are repainted and copied to the
// framebuffer. This is the latency a user feels.
func BenchmarkKeyRepaint(b *testing.B) {
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			c, mem, f := benchCore(b, sz)
			keys := []key.Key{key.Down, key.Up}
			px := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.key(keys[i%2])
				i++
				for _, r := range c.render() {
					fb.Blit(mem, f, c.frame, r)
					px += r.Dx() * r.Dy()
				}
			}
			b.ReportMetric(float64(px)/float64(i), "px/op")
		})
	}
}

// BenchmarkLineRedraw repaints one text line (the list header) alone.
func BenchmarkLineRedraw(b *testing.B) {
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			c, mem, f := benchCore(b, sz)
			line := c.contacts.Root().Bounds()
			line.Min.Y += c.t.StatusH
			line.Max.Y = line.Min.Y + c.t.Title.Height()
			b.ReportAllocs()
			for b.Loop() {
				c.cur.Root().Invalidate(line)
				for _, r := range c.render() {
					fb.Blit(mem, f, c.frame, r)
				}
			}
			b.ReportMetric(float64(line.Dx()*line.Dy()), "px/op")
		})
	}
}
