//! The window's look, in one place: the type scale, spacing, the sizes of
//! buttons, and a calm bank-like palette for light and dark (navy on white,
//! light blue on slate), with text contrast of at least 4.5:1 (WCAG AA) for
//! every colour text is drawn in. Every screen draws through the widgets
//! here, so that the same thing looks the same everywhere.
//!
//! The window follows the desktop's light or dark setting.

use eframe::egui::{self, Color32, RichText};

/// Body text, buttons and fields.
pub const BODY: f32 = 15.0;
/// Notes and fine print.
pub const SMALL: f32 = 12.0;
/// A screen's title.
pub const TITLE: f32 = 22.0;
/// A name or a figure that matters on its screen (the token's name, an
/// amount in a list, a confirmation code).
pub const PROMINENT: f32 = 22.0;
/// The one-time password itself.
pub const CODE: f32 = 52.0;
/// Text a little above body size (the main button, a short answer).
pub const LEAD: f32 = 17.0;

/// Space between items; between sections it is [`SECTION`].
pub const GAP: f32 = 8.0;
/// Space between the parts of a screen.
pub const SECTION: f32 = 12.0;

/// The main action of a screen.
pub const MAIN_BUTTON: egui::Vec2 = egui::vec2(200.0, 38.0);
/// A row in a menu or a list (full width).
pub const ROW_HEIGHT: f32 = 36.0;
/// Back, cancel, close.
pub const SMALL_BUTTON: egui::Vec2 = egui::vec2(120.0, 32.0);
/// A choice between two answers (approve / reject).
pub const ANSWER_BUTTON: egui::Vec2 = egui::vec2(150.0, 42.0);

/// The palette of one of the two looks.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// The window's background.
    pub background: Color32,
    /// Panels, groups and fields.
    pub surface: Color32,
    /// Buttons at rest.
    pub control: Color32,
    /// Buttons under the pointer.
    pub control_hover: Color32,
    /// Text.
    pub text: Color32,
    /// Secondary text (labels of facts, notes).
    pub weak_text: Color32,
    /// Selection, links, focus and the countdown.
    pub accent: Color32,
    /// Text on the accent colour.
    pub on_accent: Color32,
    /// Warnings (clock off, look-alike letters, a wait).
    pub warn: Color32,
    /// What cannot be undone (delete).
    pub danger: Color32,
    /// Text on the danger colour.
    pub on_danger: Color32,
    /// Lines around groups and fields.
    pub line: Color32,
}

/// Navy on white.
pub const LIGHT: Palette = Palette {
    background: Color32::from_rgb(0xF4, 0xF6, 0xF9),
    surface: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    control: Color32::from_rgb(0xE4, 0xE9, 0xF0),
    control_hover: Color32::from_rgb(0xD3, 0xDC, 0xE8),
    text: Color32::from_rgb(0x1A, 0x1F, 0x26),
    weak_text: Color32::from_rgb(0x50, 0x5A, 0x66),
    accent: Color32::from_rgb(0x1F, 0x4E, 0x8C),
    on_accent: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    warn: Color32::from_rgb(0x8A, 0x4B, 0x00),
    danger: Color32::from_rgb(0xB4, 0x23, 0x18),
    on_danger: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    line: Color32::from_rgb(0xC9, 0xD1, 0xDB),
};

/// Light blue on slate.
pub const DARK: Palette = Palette {
    background: Color32::from_rgb(0x14, 0x18, 0x1E),
    surface: Color32::from_rgb(0x1C, 0x22, 0x2A),
    control: Color32::from_rgb(0x2A, 0x32, 0x3D),
    control_hover: Color32::from_rgb(0x36, 0x40, 0x4D),
    text: Color32::from_rgb(0xE8, 0xEC, 0xF1),
    weak_text: Color32::from_rgb(0xA9, 0xB3, 0xBF),
    accent: Color32::from_rgb(0x7F, 0xB2, 0xEE),
    on_accent: Color32::from_rgb(0x0E, 0x1A, 0x2B),
    warn: Color32::from_rgb(0xF2, 0xB8, 0x5B),
    danger: Color32::from_rgb(0xB3, 0x2D, 0x24),
    on_danger: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    line: Color32::from_rgb(0x3A, 0x44, 0x51),
};

/// The palette `ui` is drawn with.
pub fn palette(ui: &egui::Ui) -> &'static Palette {
    if ui.visuals().dark_mode {
        &DARK
    } else {
        &LIGHT
    }
}

/// The egui look made from `p`.
fn visuals(p: &Palette, dark: bool) -> egui::Visuals {
    let mut v = if dark {
        egui::Visuals::dark()
    } else {
        egui::Visuals::light()
    };
    v.weak_text_color = Some(p.weak_text);
    v.hyperlink_color = p.accent;
    v.warn_fg_color = p.warn;
    v.error_fg_color = p.danger;
    v.panel_fill = p.background;
    v.window_fill = p.surface;
    // The countdown's track and scroll bars; fields keep the surface.
    v.extreme_bg_color = p.control;
    v.text_edit_bg_color = Some(p.surface);
    v.faint_bg_color = p.surface;
    v.selection.bg_fill = p.accent;
    v.selection.stroke = egui::Stroke::new(1.0, p.on_accent);
    v.window_stroke = egui::Stroke::new(1.0, p.line);
    let radius = egui::CornerRadius::same(6);
    v.window_corner_radius = egui::CornerRadius::same(10);
    for (w, fill) in [
        (&mut v.widgets.inactive, p.control),
        (&mut v.widgets.hovered, p.control_hover),
        (&mut v.widgets.active, p.control_hover),
        (&mut v.widgets.open, p.control_hover),
    ] {
        w.bg_fill = fill;
        w.weak_bg_fill = fill;
        w.corner_radius = radius;
        w.fg_stroke = egui::Stroke::new(1.0, p.text);
    }
    v.widgets.noninteractive.bg_stroke = egui::Stroke::new(1.0, p.line);
    v.widgets.noninteractive.corner_radius = radius;
    v.widgets.noninteractive.fg_stroke = egui::Stroke::new(1.0, p.text);
    v.widgets.hovered.fg_stroke = egui::Stroke::new(1.5, p.text);
    v.widgets.inactive.bg_stroke = egui::Stroke::new(1.0, p.line);
    v.widgets.hovered.bg_stroke = egui::Stroke::new(1.0, p.accent);
    v.widgets.active.bg_stroke = egui::Stroke::new(1.5, p.accent);
    v
}

/// Applies the type scale, spacing and both palettes to `ctx`; the light
/// or dark one is chosen by the desktop (or by `preference`).
pub fn apply(ctx: &egui::Context, preference: egui::ThemePreference) {
    ctx.set_visuals_of(egui::Theme::Light, visuals(&LIGHT, false));
    ctx.set_visuals_of(egui::Theme::Dark, visuals(&DARK, true));
    ctx.options_mut(|o| {
        o.theme_preference = preference;
        // Where the desktop does not say (X11 without a portal), light.
        o.fallback_theme = egui::Theme::Light;
    });
    for theme in [egui::Theme::Light, egui::Theme::Dark] {
        ctx.style_mut_of(theme, |s| {
            s.spacing.item_spacing = egui::vec2(GAP, GAP);
            s.spacing.button_padding = egui::vec2(12.0, 6.0);
            s.spacing.interact_size.y = 28.0;
            for (style, size) in [
                (egui::TextStyle::Body, BODY),
                (egui::TextStyle::Button, BODY),
                (egui::TextStyle::Monospace, BODY),
                (egui::TextStyle::Small, SMALL),
                (egui::TextStyle::Heading, TITLE),
            ] {
                if let Some(f) = s.text_styles.get_mut(&style) {
                    f.size = size;
                }
            }
        });
    }
}

/// A screen's title.
pub fn title(ui: &mut egui::Ui, text: &str) {
    ui.add_space(GAP);
    ui.heading(RichText::new(text).size(TITLE).strong());
    ui.add_space(GAP);
}

/// The main action of a screen: filled with the accent colour.
pub fn main_button(ui: &mut egui::Ui, text: String, enabled: bool) -> egui::Response {
    let p = palette(ui);
    let label = RichText::new(text).size(LEAD).color(p.on_accent);
    let size = fitted(ui, MAIN_BUTTON);
    ui.add_enabled(
        enabled,
        egui::Button::new(label)
            .fill(p.accent)
            .wrap()
            .min_size(size),
    )
}

/// A second action, beside or below the main one, as large.
pub fn second_button(ui: &mut egui::Ui, text: String, enabled: bool) -> egui::Response {
    let size = fitted(ui, MAIN_BUTTON);
    ui.add_enabled(
        enabled,
        egui::Button::new(RichText::new(text).size(LEAD))
            .wrap()
            .min_size(size),
    )
}

/// Any other button (back, cancel, close): one height and a least width,
/// so that they line up.
pub fn button(ui: &mut egui::Ui, text: String) -> egui::Response {
    let size = fitted(ui, SMALL_BUTTON);
    ui.add(egui::Button::new(text).wrap().min_size(size))
}

/// What cannot be undone (delete).
pub fn danger_button(ui: &mut egui::Ui, text: String) -> egui::Response {
    let p = palette(ui);
    let size = fitted(ui, MAIN_BUTTON);
    ui.add(
        egui::Button::new(RichText::new(text).size(LEAD).color(p.on_danger))
            .fill(p.danger)
            .wrap()
            .min_size(size),
    )
}

/// A full-width row of a menu or list.
pub fn row_button(
    ui: &mut egui::Ui,
    text: impl Into<egui::WidgetText>,
    enabled: bool,
) -> egui::Response {
    let w = ui.available_width();
    ui.add_enabled(
        enabled,
        egui::Button::new(text)
            .wrap()
            .min_size(egui::vec2(w, ROW_HEIGHT)),
    )
}

/// A warning line.
pub fn warning(ui: &mut egui::Ui, text: impl Into<String>) -> egui::Response {
    let c = palette(ui).warn;
    ui.label(RichText::new(text.into()).color(c))
}

/// A labelled text field; the label names the field for screen readers.
pub fn field(ui: &mut egui::Ui, label: &str, text: &mut String, password: bool) -> egui::Response {
    let l = ui.label(label);
    let r = ui.add(
        egui::TextEdit::singleline(text)
            .password(password)
            .margin(egui::vec2(8.0, 6.0))
            .desired_width(f32::INFINITY),
    );
    r.labelled_by(l.id)
}

/// A heading that opens to show more: the text wraps (at any zoom the
/// heading stays in the window), and clicking the text or the triangle
/// opens it.
pub fn disclosure(
    ui: &mut egui::Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    text: &str,
    body: impl FnOnce(&mut egui::Ui),
) {
    use egui::collapsing_header::{CollapsingState, paint_default_icon};
    let id = ui.make_persistent_id(id_salt);
    let mut state = CollapsingState::load_with_default_open(ui.ctx(), id, false);
    let header = ui.horizontal(|ui| {
        state.show_toggle_button(ui, paint_default_icon);
        ui.add(
            egui::Label::new(RichText::new(text))
                .wrap()
                .sense(egui::Sense::click()),
        )
    });
    let label = header.inner;
    let open = state.is_open();
    label.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::DisclosureTriangle, true, text);
        info.selected = Some(open);
        info
    });
    if label.clicked() {
        state.toggle(ui);
    }
    state.show_body_indented(&header.response, ui, body);
}

/// A button's least size, narrower where the room is less.
fn fitted(ui: &egui::Ui, size: egui::Vec2) -> egui::Vec2 {
    egui::vec2(at_most(ui, size.x), size.y)
}

/// At most `width`, and never wider than the room there is.
pub fn at_most(ui: &egui::Ui, width: f32) -> f32 {
    ui.available_width().min(width)
}

/// Dialogs are this wide, or as wide as a zoomed window allows.
pub fn dialog_width(ctx: &egui::Context) -> f32 {
    (ctx.content_rect().width() - 48.0).clamp(160.0, 360.0)
}

/// A group of things that belong together, on the surface colour.
pub fn group<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let p = palette(ui);
    egui::Frame::group(ui.style())
        .fill(p.surface)
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f64 {
        let lin = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.039_28 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn text_colours_have_enough_contrast() {
        for (name, p) in [("light", LIGHT), ("dark", DARK)] {
            for (what, fg, bg) in [
                ("text on background", p.text, p.background),
                ("text on surface", p.text, p.surface),
                ("text on control", p.text, p.control),
                ("text on hovered control", p.text, p.control_hover),
                ("weak text on background", p.weak_text, p.background),
                ("weak text on surface", p.weak_text, p.surface),
                ("accent on background", p.accent, p.background),
                ("warning on background", p.warn, p.background),
                ("warning on surface", p.warn, p.surface),
                ("on accent", p.on_accent, p.accent),
                ("on danger", p.on_danger, p.danger),
            ] {
                let c = contrast(fg, bg);
                assert!(c >= 4.5, "{name}: {what} is {c:.2}:1");
            }
        }
    }

    #[test]
    fn contrast_is_measured_as_wcag_does() {
        let c = contrast(Color32::BLACK, Color32::WHITE);
        assert!((c - 21.0).abs() < 0.01, "{c}");
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 1e-9);
    }
}
