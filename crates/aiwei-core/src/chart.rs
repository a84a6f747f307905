//! Charts of the dashboards and reports, drawn as SVG on the server: no
//! script, no CDN, nothing fetched. The browser sets the text in the page's
//! own fonts, so Chinese labels need no font on the server.
//!
//! Every chart prints legibly in black and white. Series differ by dash
//! pattern and marker shape as well as by shade, and shares differ by
//! hatching. Every chart names itself for screen readers
//! (`role="img"`, `<title>`). The page puts the same numbers in a table
//! beside it. All text is XML-escaped here, so the page may embed the
//! result as is.

use std::fmt::Write;

/// The width every chart is drawn at; it scales down with its box.
const WIDTH: f64 = 640.0;

/// Shades from dark to light, told apart on paper by the patterns too.
const SHADES: [&str; 6] = [
    "#1f3a5f", "#5b7fa8", "#9fb6cf", "#3d3d3d", "#7a7a7a", "#b8b8b8",
];
const DASHES: [&str; 6] = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"];

/// Escapes text for SVG content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
}

/// The hatch patterns of shares, one per shade.
fn patterns(out: &mut String, id: &str) {
    out.push_str("<defs>");
    for (i, shade) in SHADES.iter().enumerate() {
        let angle = [45, -45, 0, 90, 30, -30][i];
        let gap = [4, 4, 5, 5, 6, 6][i];
        let _ = write!(
            out,
            r#"<pattern id="{id}-p{i}" patternUnits="userSpaceOnUse" width="{gap}" height="{gap}" patternTransform="rotate({angle})"><rect width="{gap}" height="{gap}" fill="{shade}" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="{gap}" stroke="{shade}" stroke-width="1.6"/></pattern>"#
        );
    }
    out.push_str("</defs>");
}

/// A number as a chart label: no decimals for whole numbers.
fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Horizontal bars, one per item, labelled with its value and `unit`.
pub fn bars(title: &str, items: &[(String, f64)], unit: &str) -> String {
    let row = 24.0;
    let (left, right) = (170.0, 70.0);
    let height = 16.0 + row * items.len().max(1) as f64;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1e-9);
    let span = WIDTH - left - right;
    let mut out = String::new();
    open(&mut out, WIDTH, height, title);
    if items.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{}" y="24" text-anchor="middle" class="muted">无数据</text>"#,
            WIDTH / 2.0
        );
    }
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 8.0 + row * i as f64;
        let w = (v / max * span).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            out,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13">{l}</text><rect x="{left}" y="{y}" width="{w:.1}" height="16" fill="{shade}" stroke="#000" stroke-width="0.6"/><text x="{vx:.1}" y="{ty}" font-size="13">{v}{unit}</text>"##,
            lx = left - 6.0,
            ty = y + 13.0,
            l = esc(label),
            shade = SHADES[0],
            vx = left + w + 5.0,
            v = num(*v),
            unit = esc(unit),
        );
    }
    out.push_str("</svg>");
    out
}

/// Rates against their targets: a bar per rate on a 0–100 % scale, the
/// target a vertical tick; a rate with nothing counted shows `—`.
pub fn rates(title: &str, items: &[(String, Option<f64>, Option<f64>)]) -> String {
    let row = 26.0;
    let (left, right) = (150.0, 70.0);
    let height = 30.0 + row * items.len().max(1) as f64;
    let span = WIDTH - left - right;
    let mut out = String::new();
    open(&mut out, WIDTH, height, title);
    for pct in [0, 50, 100] {
        let x = left + span * f64::from(pct) / 100.0;
        let _ = write!(
            out,
            r##"<line x1="{x}" y1="4" x2="{x}" y2="{y2}" stroke="#999" stroke-width="0.5"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="11">{pct}%</text>"##,
            y2 = height - 18.0,
            ty = height - 5.0
        );
    }
    for (i, (label, value, target)) in items.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let _ = write!(
            out,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13">{l}</text>"#,
            lx = left - 6.0,
            ty = y + 14.0,
            l = esc(label)
        );
        match value {
            Some(v) => {
                let w = span * v.clamp(0.0, 100.0) / 100.0;
                let below = target.is_some_and(|t| *v < t);
                let _ = write!(
                    out,
                    r##"<rect x="{left}" y="{y}" width="{w:.1}" height="18" fill="{fill}" stroke="#000" stroke-width="0.6"/><text x="{vx}" y="{ty}" font-size="13">{v:.1}%{mark}</text>"##,
                    fill = if below { "url(#rate-below)" } else { SHADES[1] },
                    vx = WIDTH - right + 6.0,
                    ty = y + 14.0,
                    mark = if below { " ▼" } else { "" },
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<text x="{vx}" y="{ty}" font-size="13">—</text>"#,
                    vx = WIDTH - right + 6.0,
                    ty = y + 14.0
                );
            }
        }
        if let Some(t) = target {
            let x = left + span * t.clamp(0.0, 100.0) / 100.0;
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" y1="{y1}" x2="{x:.1}" y2="{y2}" stroke="#000" stroke-width="2"/>"##,
                y1 = y - 3.0,
                y2 = y + 21.0
            );
        }
    }
    out.push_str(r##"<defs><pattern id="rate-below" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#000" stroke-width="2"/></pattern></defs>"##);
    out.push_str("</svg>");
    out
}

/// Lines over time, one per series, each with its own dash pattern and
/// marker shape, and a legend.
pub fn trend(title: &str, labels: &[String], series: &[(String, Vec<u64>)]) -> String {
    // Drawn wide: it spans the page, so its text keeps the size of the
    // other charts'.
    const WIDE: f64 = 1100.0;
    let (left, right, top, bottom) = (44.0, 16.0, 28.0, 40.0);
    let height = 260.0;
    let plot_h = height - top - bottom;
    let span = WIDE - left - right;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = if labels.len() > 1 {
        span / (labels.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| left + step * i as f64;
    let y_of = |v: u64| top + plot_h - v as f64 / max * plot_h;
    let mut out = String::new();
    open(&mut out, WIDE, height, title);
    // Axis and grid at 0, half and the maximum.
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h - frac * plot_h;
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#999" stroke-width="0.5"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="11">{v}</text>"##,
            x2 = WIDE - right,
            tx = left - 4.0,
            ty = y + 4.0,
            v = num(max * frac),
        );
    }
    // At most about 16 labels under the axis, evenly spaced.
    let every = labels.len().div_ceil(16).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="11">{l}</text>"#,
                x = x_of(i),
                y = height - bottom + 16.0,
                l = esc(l)
            );
        }
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let shade = SHADES[k % SHADES.len()];
        let dash = DASHES[k % DASHES.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{shade}" stroke-width="2" stroke-dasharray="{dash}" points="{}"/>"#,
            points.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            marker(&mut out, k, x_of(i), y_of(*v), shade);
        }
        // The legend across the top.
        let lx = left + 120.0 * k as f64;
        let _ = write!(
            out,
            r#"<line x1="{lx}" y1="12" x2="{lx2}" y2="12" stroke="{shade}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
            lx2 = lx + 26.0
        );
        marker(&mut out, k, lx + 13.0, 12.0, shade);
        let _ = write!(
            out,
            r#"<text x="{tx}" y="16" font-size="12">{n}</text>"#,
            tx = lx + 32.0,
            n = esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A marker of series `k`: circle, square, triangle, diamond, cross, plus.
fn marker(out: &mut String, k: usize, x: f64, y: f64, shade: &str) {
    let _ = match k % 6 {
        0 => write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{shade}"/>"#
        ),
        1 => write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{shade}"/>"#,
            x - 3.0,
            y - 3.0
        ),
        2 => write!(
            out,
            r#"<path d="M{x:.1} {:.1} l4 7 h-8 z" fill="{shade}"/>"#,
            y - 4.0
        ),
        3 => write!(
            out,
            r#"<path d="M{x:.1} {:.1} l4 4 l-4 4 l-4 -4 z" fill="{shade}"/>"#,
            y - 4.0
        ),
        4 => write!(
            out,
            r#"<path d="M{:.1} {:.1} l6 6 m0 -6 l-6 6" stroke="{shade}" stroke-width="1.6"/>"#,
            x - 3.0,
            y - 3.0
        ),
        _ => write!(
            out,
            r#"<path d="M{:.1} {y:.1} h8 M{x:.1} {:.1} v8" stroke="{shade}" stroke-width="1.6"/>"#,
            x - 4.0,
            y - 4.0
        ),
    };
}

/// Shares of a whole as one bar split into hatched parts, with a legend
/// that gives each part's count and percentage.
pub fn shares(title: &str, items: &[(String, u64)]) -> String {
    let total: u64 = items.iter().map(|i| i.1).sum();
    let legend_rows = items.len().div_ceil(3).max(1);
    let height = 44.0 + 20.0 * legend_rows as f64;
    let (left, span) = (10.0, WIDTH - 20.0);
    let id = format!("s{:x}", fnv(title));
    let mut out = String::new();
    open(&mut out, WIDTH, height, title);
    patterns(&mut out, &id);
    if total == 0 {
        let _ = write!(
            out,
            r##"<rect x="{left}" y="6" width="{span}" height="26" fill="none" stroke="#000" stroke-width="0.6"/><text x="{x}" y="24" text-anchor="middle" font-size="13">无数据</text>"##,
            x = WIDTH / 2.0
        );
    }
    let mut x = left;
    for (k, (label, n)) in items.iter().enumerate() {
        let pct = if total > 0 {
            *n as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        if total > 0 {
            let w = span * pct / 100.0;
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="6" width="{w:.1}" height="26" fill="url(#{id}-p{p})" stroke="#000" stroke-width="0.6"/>"##,
                p = k % SHADES.len()
            );
            x += w;
        }
        let (col, row) = (k % 3, k / 3);
        let lx = left + 210.0 * col as f64;
        let ly = 44.0 + 20.0 * row as f64;
        let _ = write!(
            out,
            r##"<rect x="{lx}" y="{ry}" width="14" height="14" fill="url(#{id}-p{p})" stroke="#000" stroke-width="0.6"/><text x="{tx}" y="{ty}" font-size="12">{l} {n}（{pct:.1}%）</text>"##,
            ry = ly - 11.0,
            p = k % SHADES.len(),
            tx = lx + 19.0,
            ty = ly,
            l = esc(label),
        );
    }
    out.push_str("</svg>");
    out
}

/// A short stable hash, so two share charts on one page get their own
/// pattern ids.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("role=\"img\"") && svg.contains("<title>"));
        // Tags balance: every opened element is closed or self-closing.
        let ends = svg.matches("</").count();
        let opening = svg.matches('<').count() - ends;
        assert_eq!(opening, ends + svg.matches("/>").count(), "{svg}");
    }

    #[test]
    fn text_is_escaped() {
        let svg = bars("<投诉>", &[("a&b\"<script>".into(), 3.0)], "件");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("a&amp;b&quot;&lt;script&gt;"));
        assert!(svg.contains("&lt;投诉&gt;"));
        well_formed(&svg);
    }

    #[test]
    fn every_chart_is_well_formed_with_and_without_data() {
        well_formed(&bars("空", &[], "件"));
        well_formed(&bars(
            "类型",
            &[("投诉".into(), 10.0), ("咨询".into(), 0.0)],
            "件",
        ));
        well_formed(&rates(
            "指标",
            &[
                ("接听及时率".into(), Some(80.0), Some(95.0)),
                ("准确率".into(), None, None),
            ],
        ));
        well_formed(&trend(
            "趋势",
            &["1日".into(), "2日".into()],
            &[("投诉".into(), vec![1, 2]), ("咨询".into(), vec![0, 3])],
        ));
        well_formed(&trend("单点", &["1月".into()], &[("投诉".into(), vec![0])]));
        well_formed(&shares("渠道", &[("电话".into(), 3), ("来访".into(), 1)]));
        well_formed(&shares("空", &[]));
    }

    #[test]
    fn a_rate_below_its_target_is_marked_for_paper() {
        let svg = rates("指标", &[("接听及时率".into(), Some(80.0), Some(95.0))]);
        assert!(svg.contains("url(#rate-below)") && svg.contains("80.0% ▼"));
        let svg = rates("指标", &[("接听及时率".into(), Some(96.0), Some(95.0))]);
        assert!(!svg.contains("▼"));
    }

    #[test]
    fn shares_give_counts_and_percentages() {
        let svg = shares("渠道", &[("电话".into(), 3), ("来访".into(), 1)]);
        assert!(svg.contains("电话 3（75.0%）") && svg.contains("来访 1（25.0%）"));
    }
}
