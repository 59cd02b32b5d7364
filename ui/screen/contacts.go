package screen

import (
	"cmp"
	"fmt"
	"image"
	"slices"
	"strings"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// maxQuery bounds the search digits typed on the contact list.
const maxQuery = 12

// Contacts is the home screen: the directory's contacts, sorted by name,
// with their office and whether they are online. Typing on the keypad
// narrows the list (see Matches); OK opens a contact, Call dials it, End
// locks the phone.
type Contacts struct {
	chrome
	env    Env
	header *widget.Label
	count  *widget.Label
	list   *widget.List

	all     []state.Contact // sorted by name
	shown   []state.Contact // those matching query, in list order
	query   string
	selID   string
	dirVer  uint64
	hasSnap bool
}

// NewContacts returns the contact list screen.
func NewContacts(env Env) *Contacts {
	t := env.Theme
	c := &Contacts{env: env}
	c.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	area := c.content
	headH := t.U(28)
	head := image.Rect(area.Min.X+t.Pad, area.Min.Y, area.Max.X-t.Pad, area.Min.Y+headH)
	c.header = widget.NewLabel(head, widget.Style{Font: t.Title, Fg: t.C.Fg}, "Contacts")
	c.count = widget.NewLabel(head, widget.Style{Font: t.Small, Fg: t.C.Muted, Align: widget.AlignEnd}, "")
	listR := image.Rect(area.Min.X+t.U(3), area.Min.Y+headH, area.Max.X-t.U(2), area.Max.Y-t.U(2))
	c.list = widget.NewList(listR, t.List, "", c.open)
	c.root.Add(c.header, c.count, c.list)
	c.rebuild()
	return c
}

// Update implements Screen.
func (c *Contacts) Update(s *state.Snapshot, _ time.Time) {
	c.updateStatus(s)
	first := !c.hasSnap
	c.hasSnap = true
	c.dirVer = s.Link.Directory
	all := slices.Clone(s.Contacts)
	slices.SortStableFunc(all, func(a, b state.Contact) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	if !slices.Equal(all, c.all) || first {
		c.all = all
		c.rebuild()
	}
}

// rebuild filters the contacts by the query and refreshes the list,
// keeping the selected contact selected if it is still shown.
func (c *Contacts) rebuild() {
	t := c.env.Theme
	c.shown = c.shown[:0]
	for _, ct := range c.all {
		if Matches(ct.Name, c.query) {
			c.shown = append(c.shown, ct)
		}
	}
	items := make([]widget.Item, len(c.shown))
	sel := 0
	for i, ct := range c.shown {
		mark := widget.MarkOffline
		if ct.Online {
			mark = widget.MarkOnline
		}
		var parts []string
		if !ct.Callable {
			parts = append(parts, "Not permitted")
		}
		for _, p := range []string{ct.Rank, ct.Office} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		items[i] = widget.Item{Title: ct.Name, Detail: strings.Join(parts, ", "), Mark: mark, Dim: !ct.Callable}
		if ct.ID == c.selID {
			sel = i
		}
	}
	switch {
	case c.query != "":
		c.list.SetEmpty("No name matches " + c.query)
	case c.hasSnap:
		c.list.SetEmpty("No contacts yet. The directory arrives once the exchange is reached.")
	default:
		c.list.SetEmpty("")
	}
	c.list.SetItems(items, sel)
	if c.query == "" {
		c.header.SetStyle(widget.Style{Font: t.Title, Fg: t.C.Fg})
		c.header.SetText("Contacts")
		online := 0
		for _, ct := range c.all {
			if ct.Online {
				online++
			}
		}
		if len(c.all) > 0 {
			c.count.SetText(fmt.Sprintf("%d of %d online", online, len(c.all)))
		} else {
			c.count.SetText("")
		}
	} else {
		c.header.SetStyle(widget.Style{Font: t.Title, Fg: t.C.Accent})
		c.header.SetText("Find " + c.query)
		c.count.SetText(fmt.Sprintf("%d of %d", len(c.shown), len(c.all)))
	}
	c.syncSelection()
}

// syncSelection records the selected contact and sets the hints for it.
func (c *Contacts) syncSelection() {
	left := ""
	if c.query != "" {
		left = "Delete"
	}
	sel, ok := c.selected()
	switch {
	case !ok:
		c.hints.Set(left, "", "")
	case sel.Callable:
		c.selID = sel.ID
		c.hints.Set(left, "Details", "Call")
	default:
		c.selID = sel.ID
		c.hints.Set(left, "Details", "")
	}
}

func (c *Contacts) selected() (state.Contact, bool) {
	i := c.list.Selected()
	if i < 0 || i >= len(c.shown) {
		return state.Contact{}, false
	}
	return c.shown[i], true
}

func (c *Contacts) open(i int) {
	if i >= 0 && i < len(c.shown) {
		c.env.Nav.OpenContact(c.shown[i].ID)
	}
}

// Query returns the search digits typed so far.
func (c *Contacts) Query() string { return c.query }

// Reset clears the search; the UI calls it when the phone locks.
func (c *Contacts) Reset() {
	c.query = ""
	c.selID = ""
	c.rebuild()
}

// HandleKey implements Screen.
func (c *Contacts) HandleKey(k key.Key) bool {
	switch {
	case k.Char() >= '0' && k.Char() <= '9':
		if len(c.query) < maxQuery {
			c.query += string(k.Char())
			c.rebuild()
		}
	case k == key.Clear || k == key.Back || k == key.SoftLeft:
		if c.query == "" {
			return false
		}
		c.query = c.query[:len(c.query)-1]
		c.rebuild()
	case k == key.Call || k == key.SoftRight:
		if sel, ok := c.selected(); ok && sel.Callable {
			c.env.Send(state.Intent{Kind: state.IntentDial, ContactID: sel.ID})
		}
	case k == key.End:
		c.env.Send(state.Intent{Kind: state.IntentLock})
	default:
		if !c.list.HandleKey(k) {
			return false
		}
		c.syncSelection()
	}
	return true
}
