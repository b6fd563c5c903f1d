//! The tabs under the main screens: the code, the token list, transaction
//! confirmation (for a token that offers it) and settings.

use eframe::egui::{self, RichText};

use super::super::action::Action;
use super::super::app::IppunApp;
use super::Screen;

/// Draws the tabs when the screen has them; the tab chosen.
pub(in super::super) fn ui(app: &IppunApp, ui: &mut egui::Ui) -> Action {
    if !app.screen.has_tabs() || app.views().is_empty() || app.task.is_some() {
        return Action::None;
    }
    let mut action = Action::None;
    egui::Panel::bottom("tabs").show(ui, |ui| {
        ui.add_space(4.0);
        let tx_token = app
            .selected
            .and_then(|id| app.view(id))
            .filter(|v| v.tx)
            .map(|v| v.id);
        let otp = matches!(app.screen, Screen::Otp(_));
        let list = matches!(app.screen, Screen::Tokens);
        let tx = matches!(app.screen, Screen::Tx { .. } | Screen::TxDetail { .. });
        let settings = !otp && !list && !tx;
        let mut tabs = vec![("gui-tab-otp", otp), ("gui-tab-tokens", list)];
        if tx_token.is_some() {
            tabs.push(("gui-tab-tx", tx));
        }
        tabs.push(("gui-tab-settings", settings));
        // Four tabs leave less room: a little smaller, so that the longest
        // Japanese label stays on one line.
        let size = if tabs.len() == 4 { 13.0 } else { 15.0 };
        // One row when every label fits its share; two when the window is
        // narrow (zoomed in).
        let widest = tabs
            .iter()
            .map(|(id, _)| {
                let font = egui::FontId::proportional(size);
                ui.fonts_mut(|f| {
                    f.layout_no_wrap(app.t(id), font, egui::Color32::WHITE)
                        .size()
                        .x
                })
            })
            .fold(0.0, f32::max);
        let pad = 2.0 * ui.spacing().button_padding.x + ui.spacing().item_spacing.x;
        #[allow(clippy::cast_precision_loss)]
        let per_row = if ui.available_width() / tabs.len() as f32 >= widest + pad {
            tabs.len()
        } else {
            2
        };
        let mut chosen = None;
        for row in tabs.chunks(per_row) {
            ui.columns(per_row, |cols| {
                for (col, (id, on)) in cols.iter_mut().zip(row) {
                    let b = egui::Button::selectable(*on, RichText::new(app.t(id)).size(size));
                    if col.add_sized([col.available_width(), 34.0], b).clicked() {
                        chosen = Some(*id);
                    }
                }
            });
        }
        action = match chosen {
            Some("gui-tab-otp") => app
                .selected
                .filter(|id| app.view(*id).is_some())
                .or_else(|| app.views().first().map(|v| v.id))
                .map_or(Action::None, Action::OpenToken),
            Some("gui-tab-tokens") => Action::Go(Screen::Tokens),
            Some("gui-tab-tx") => tx_token.map_or(Action::None, Action::OpenTx),
            Some(_) => Action::Go(Screen::Settings),
            None => Action::None,
        };
        ui.add_space(4.0);
    });
    action
}
