"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, no inline styles (the CSP
allows neither), only presentation attributes. Pure functions of their rows."""

from decimal import Decimal

from markupsafe import Markup, escape

PRIMARY, SECONDARY, MUTED = "#b3261e", "#f0a39c", "#6c757d"
WIDTH, LABEL_W, ROW_H = 640, 150, 26


def _num(value):
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def _fmt(value):
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _svg(height, title, body):
    return Markup(  # noqa: S704 - every text and label in it went through escape()
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'{"".join(body)}</svg>')


def bar_chart(title, rows, color=PRIMARY):
    """Horizontal bars: rows of (label, value)."""
    top = max((_num(v) for _, v in rows), default=0) or 1
    span = WIDTH - LABEL_W - 80
    body = []
    for i, (label, value) in enumerate(rows):
        y = i * ROW_H + 4
        w = round(span * _num(value) / top, 1)
        body.append(f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end" font-size="13">{escape(label)}</text>'
                    f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{ROW_H - 8}" fill="{color}" rx="2">'
                    f'<title>{escape(label)}：{escape(_fmt(value))}</title></rect>'
                    f'<text x="{LABEL_W + w + 6}" y="{y + 15}" font-size="12" fill="{MUTED}">{escape(_fmt(value))}</text>')
    return _svg(len(rows) * ROW_H + 8, title, body)


def funnel_chart(title, rows):
    """A funnel: rows of (label, reached, current), bars centred and as wide as `reached`."""
    top = max((_num(r) for _, r, _ in rows), default=0) or 1
    span, centre = WIDTH - LABEL_W - 20, LABEL_W + (WIDTH - LABEL_W - 20) / 2
    body = []
    for i, (label, reached, current) in enumerate(rows):
        y = i * (ROW_H + 4) + 4
        w = max(round(span * _num(reached) / top, 1), 2)
        body.append(f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="13">{escape(label)}</text>'
                    f'<rect x="{round(centre - w / 2, 1)}" y="{y}" width="{w}" height="{ROW_H}" fill="{PRIMARY}" '
                    f'fill-opacity="{round(1 - i * 0.08, 2)}" rx="3"><title>{escape(label)}：已到达 {reached}，当前 {current}'
                    f'</title></rect><text x="{centre}" y="{y + 17}" text-anchor="middle" font-size="12" fill="#fff">'
                    f'{reached}（当前 {current}）</text>')
    return _svg(len(rows) * (ROW_H + 4) + 8, title, body)


def paired_bar_chart(title, rows, labels=("批复", "已支付")):
    """Two bars per row: rows of (label, first, second), e.g. approved and paid."""
    top = max((max(_num(a), _num(b)) for _, a, b in rows), default=0) or 1
    span = WIDTH - LABEL_W - 200  # room for the "paid / approved" figures after the longest bar
    body = [f'<rect x="{LABEL_W}" y="4" width="12" height="12" fill="{SECONDARY}"/>'
            f'<text x="{LABEL_W + 16}" y="14" font-size="12">{escape(labels[0])}</text>'
            f'<rect x="{LABEL_W + 80}" y="4" width="12" height="12" fill="{PRIMARY}"/>'
            f'<text x="{LABEL_W + 96}" y="14" font-size="12">{escape(labels[1])}</text>']
    for i, (label, first, second) in enumerate(rows):
        y = 24 + i * (ROW_H + 14)
        w1, w2 = round(span * _num(first) / top, 1), round(span * _num(second) / top, 1)
        body.append(f'<text x="{LABEL_W - 8}" y="{y + 18}" text-anchor="end" font-size="13">{escape(label)}</text>'
                    f'<rect x="{LABEL_W}" y="{y}" width="{w1}" height="{ROW_H / 2 + 1}" fill="{SECONDARY}">'
                    f'<title>{escape(label)} {escape(labels[0])}：{escape(_fmt(first))}</title></rect>'
                    f'<rect x="{LABEL_W}" y="{y + ROW_H / 2 + 2}" width="{w2}" height="{ROW_H / 2 + 1}" fill="{PRIMARY}">'
                    f'<title>{escape(label)} {escape(labels[1])}：{escape(_fmt(second))}</title></rect>'
                    f'<text x="{LABEL_W + max(w1, w2) + 6}" y="{y + 18}" font-size="11" fill="{MUTED}">'
                    f'{escape(_fmt(second))} / {escape(_fmt(first))}</text>')
    return _svg(24 + len(rows) * (ROW_H + 14) + 4, title, body)
