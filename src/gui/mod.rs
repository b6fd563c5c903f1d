//! The desktop window: eframe/egui with the glow backend.
//!
//! Japanese text is drawn with `BIZ UDPGothic` (SIL OFL 1.1), bundled as a
//! subset in `assets/fonts/`. The window repaints once a second (the
//! countdown) and when something happens, never continuously.

mod action;
mod app;
mod autolock;
mod clip;
pub mod demo;
mod prefs;
mod screens;
pub mod session;
pub mod single;
mod task;
mod theme;

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use ippun_core::Lang;

pub use app::{Dialog, IppunApp, Options};
pub use demo::DemoCenter;
pub use screens::{LockForm, LockMode, Screen, SetupForm};

/// The bundled Japanese font (a subset: ASCII, Latin-1, kana, JIS X 0208
/// kanji and the usual symbols).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/BIZUDPGothic-Regular-subset.ttf");
/// Its licence.
pub const OFL_TEXT: &str = include_str!("../../assets/fonts/OFL.txt");

/// The application icon (the 128-pixel rendering of `assets/icons/ippun.svg`),
/// given to the window manager for the title bar and task switcher.
pub const ICON_PNG: &[u8] =
    include_bytes!("../../assets/icons/hicolor/128x128/apps/jp.ippun.ippun.png");

/// Default window size, in points.
pub const WINDOW_SIZE: [f32; 2] = [440.0, 680.0];

/// Puts the bundled font first for both proportional and monospace text.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "biz-udpgothic".to_owned(),
        Arc::new(egui::FontData::from_static(FONT)),
    );
    // First for proportional text; after egui's own monospace font, so that
    // codes and IDs keep fixed-width Latin digits and Japanese still shows.
    fonts
        .families
        .entry(egui::FontFamily::Proportional)
        .or_default()
        .insert(0, "biz-udpgothic".to_owned());
    fonts
        .families
        .entry(egui::FontFamily::Monospace)
        .or_default()
        .push("biz-udpgothic".to_owned());
    ctx.set_fonts(fonts);
}

/// Sets up a context the way the window does (fonts, the theme following
/// the desktop's light or dark setting); also used by the tests.
pub fn prepare(ctx: &egui::Context) {
    prepare_with(ctx, egui::ThemePreference::System);
}

/// As [`prepare`], in the light or dark look whatever the desktop says
/// (screenshots).
pub fn prepare_with(ctx: &egui::Context, theme: egui::ThemePreference) {
    install_fonts(ctx);
    theme::apply(ctx, theme);
}

/// The language chosen in settings, if any (kept in `settings.json` in the
/// data folder).
pub fn saved_lang(home: &Path) -> Option<Lang> {
    prefs::Prefs::load(home).lang
}

impl IppunApp {
    /// Switches the language now and for later launches.
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
        let mut p = prefs::Prefs::load(self.home.dir());
        p.lang = Some(lang);
        p.save(self.home.dir());
        if let Some((name, _)) = self.centers.first_mut()
            && self.demo.is_some()
        {
            *name = lang.text("gui-demo-center");
        }
    }
}

/// Opens the window and runs until it is closed.
pub fn run(options: Options) -> Result<(), String> {
    let title = options
        .lang
        .or_else(|| saved_lang(options.home.dir()))
        .unwrap_or_else(Lang::detect)
        .text("gui-window-title");
    let mut viewport = egui::ViewportBuilder::default();
    // The icon is ours and known to decode (a unit test says so); a window
    // without it still works.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    let native = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: viewport
            .with_inner_size(WINDOW_SIZE)
            .with_min_inner_size([360.0, 480.0])
            .with_title(title)
            .with_app_id("jp.ippun.ippun"),
        ..Default::default()
    };
    eframe::run_native(
        "ippun",
        native,
        Box::new(move |cc| {
            prepare(&cc.egui_ctx);
            let mut app = IppunApp::new(options);
            app.listen_for_launches(&cc.egui_ctx);
            app.watch_session_locks(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_icon_decodes() {
        let icon = eframe::icon_data::from_png_bytes(super::ICON_PNG);
        let icon = icon.map_err(|e| e.to_string());
        assert_eq!(icon.map(|i| (i.width, i.height)), Ok((128, 128)));
    }
}
