package widget

import "image"

// maxDirty caps the dirty list; past it the areas are merged into their
// bounding box, which costs some overdraw but keeps merging cheap.
const maxDirty = 8

// dirtyList is the set of screen areas waiting for repaint, kept small by
// merging areas whose union wastes little (as LVGL's lv_inv_area does).
type dirtyList struct {
	rects []image.Rectangle
}

func (d *dirtyList) reset(r image.Rectangle) {
	d.rects = append(d.rects[:0], r)
}

func (d *dirtyList) add(r image.Rectangle) {
	if r.Empty() {
		return
	}
	for {
		merged := false
		for i, o := range d.rects {
			if r.In(o) {
				return
			}
			u := r.Union(o)
			if covered := area(r) + area(o) - area(r.Intersect(o)); area(u)-covered <= slack(r, o) {
				d.rects = append(d.rects[:i], d.rects[i+1:]...)
				r = u
				merged = true
				break
			}
		}
		if !merged {
			break
		}
	}
	d.rects = append(d.rects, r)
	if len(d.rects) > maxDirty {
		u := d.rects[0]
		for _, o := range d.rects[1:] {
			u = u.Union(o)
		}
		d.rects = append(d.rects[:0], u)
	}
}

// slack is how many pixels of overdraw a merge of a and b may cost: a thin
// strip, so two abutting rows merge but two distant ones do not.
func slack(a, b image.Rectangle) int {
	return (max(a.Dx(), b.Dx()) + max(a.Dy(), b.Dy())) * 2
}

// take returns the dirty areas and empties the list.
func (d *dirtyList) take() []image.Rectangle {
	rs := d.rects
	d.rects = nil
	return rs
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }
