"""A small SVG line-chart writer for the soak's samples (standard library only).

plot(rows, title) -> SVG text: one panel per series (RSS, fds, CPU, event-loop latency) stacked
over a shared time axis, each with its own y range starting at 0.
"""
from xml.sax.saxutils import escape

PANELS = [
    ("rss_kib", "RSS (MiB)", 1 / 1024, "#1f77b4"),
    ("fds", "open fds", 1, "#2ca02c"),
    ("cpu_pct", "CPU (% of one core)", 1, "#d62728"),
    ("lat_ms_max", "getState round trip, max per s (ms)", 1, "#9467bd"),
]
WIDTH, PANEL_H, LEFT, RIGHT, TOP, GAP = 900, 150, 70, 20, 40, 45


def nice_max(v):
    """The smallest 1/2/5 x 10^k at or above v (at least 1)."""
    if v <= 1:
        return 1
    base = 1
    while base * 10 <= v:
        base *= 10
    for m in (1, 2, 5, 10):
        if m * base >= v:
            return m * base
    return 10 * base


def fmt(v):
    return f"{v:g}" if v < 10000 else f"{v:.3g}"


def plot(rows, title):
    times = [float(r["t"]) for r in rows]
    t_max = max(times) if times else 1
    t_max = t_max or 1
    height = TOP + len(PANELS) * (PANEL_H + GAP) + 10
    plot_w = WIDTH - LEFT - RIGHT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for i, (key, label, scale, colour) in enumerate(PANELS):
        y0 = TOP + i * (PANEL_H + GAP) + 15
        pts = [(t, float(r[key]) * scale) for t, r in zip(times, rows) if r.get(key) not in ("", None)]
        y_max = nice_max(max((v for _, v in pts), default=1) * 1.05)
        parts.append(f'<text x="{LEFT}" y="{y0 - 4}" font-weight="bold">{escape(label)}</text>')
        parts.append(f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{PANEL_H}" fill="none" stroke="#999"/>')
        for k in range(5):  # horizontal grid and y labels
            v = y_max * k / 4
            y = y0 + PANEL_H - PANEL_H * k / 4
            parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{fmt(v)}</text>')
        for k in range(11):  # x labels (seconds)
            t = t_max * k / 10
            x = LEFT + plot_w * k / 10
            parts.append(f'<text x="{x:.1f}" y="{y0 + PANEL_H + 13}" text-anchor="middle">{t:.0f}</text>')
        if pts:
            path = " ".join(f"{LEFT + plot_w * t / t_max:.1f},{y0 + PANEL_H - PANEL_H * min(v, y_max) / y_max:.1f}"
                            for t, v in pts)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{path}"/>')
    parts.append(f'<text x="{WIDTH / 2}" y="{height - 2}" text-anchor="middle">seconds since start</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
