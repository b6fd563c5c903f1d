//! A token's code: the service's mark and name, the code (grouped on
//! screen, digit by digit for screen readers), the countdown, the next
//! code in the last seconds, copy, and notes below (renewal open, clock
//! off). A token whose setup did not finish offers to finish it.

use eframe::egui::{self, Color32, Key, RichText};
use ippun_core::TokenState;

use super::super::action::Action;
use super::super::app::{IppunApp, View};
use super::super::task::Job;
use super::super::theme;
use super::{Screen, facts, internal, spelled, token};
use crate::flows::Center;

/// The next code shows in the last this many seconds of the current one.
const NEXT_SHOWN_SECS: u64 = 10;

pub(super) fn ui(app: &IppunApp, ui: &mut egui::Ui, id: u64) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    if v.state == TokenState::Expired {
        return Action::Go(Screen::Expired(id));
    }
    ui.horizontal(|ui| {
        logo(app, ui, &v);
        ui.vertical(|ui| {
            ui.label(RichText::new(&v.name).size(theme::PROMINENT).strong());
            if let Some(url) = &v.link_url {
                ui.hyperlink_to(app.t("gui-open-site"), url);
            }
        });
    });
    ui.add_space(10.0);
    if v.state == TokenState::Pending {
        theme::warning(ui, app.t("gui-pending"));
        let finish = theme::main_button(ui, app.t("gui-finish-setup"), true).clicked();
        facts(app, ui, &v);
        return if finish {
            finish_pending(app, id)
        } else {
            Action::None
        };
    }
    let codes = app.vault().and_then(|vault| {
        let t = vault.tokens().get(id)?;
        let g = t.generator().ok()?;
        let now = g.current(&*app.clock).ok()?;
        let next = g.next(&*app.clock).ok()?;
        Some((now, next, t.params.period.secs()))
    });
    let Some((now, next, period)) = codes else {
        return Action::Fail(internal("no code for this token")).then(Action::Go(Screen::Tokens));
    };
    let plain = now.code.to_string();
    let mut action = Action::None;
    ui.vertical_centered(|ui| {
        let grouped = now.code.grouped();
        let r = ui.label(
            RichText::new(&grouped)
                .size(code_size(ui, &grouped))
                .monospace()
                .strong(),
        );
        // Read digit by digit, as the customer types it.
        let a11y = app.tw("gui-code-a11y", &[("code", &spelled(&plain))]);
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &a11y));
        let left = now.remaining.as_secs() + u64::from(now.remaining.subsec_nanos() > 0);
        #[allow(clippy::cast_precision_loss)]
        let frac = (now.remaining.as_secs_f32() / period.max(1) as f32).clamp(0.0, 1.0);
        let bar = ui.add(
            egui::ProgressBar::new(frac)
                .desired_width(theme::at_most(ui, 280.0))
                .desired_height(8.0)
                .fill(theme::palette(ui).accent),
        );
        let time_left = app.tw("gui-countdown-a11y", &[("seconds", &left.to_string())]);
        bar.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &time_left)
        });
        ui.label(app.tw("gui-seconds-left", &[("seconds", &left.to_string())]));
        if left <= NEXT_SHOWN_SECS {
            let n = next.code.to_string();
            let r = ui.label(
                RichText::new(app.tw("gui-next-code", &[("code", &next.code.grouped())]))
                    .size(theme::LEAD)
                    .weak(),
            );
            let a11y = app.tw("gui-next-code-a11y", &[("code", &spelled(&n))]);
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &a11y));
        }
        ui.add_space(theme::GAP);
        let copy = theme::second_button(ui, app.t("gui-copy"), true);
        let shortcut = ui.input(|i| {
            i.events.iter().any(|e| matches!(e, egui::Event::Copy))
                || (i.modifiers.command && i.key_pressed(Key::C))
        });
        if (copy.clicked() || shortcut) && app.dialog.is_none() {
            action = Action::CopyCode(id);
        }
    });
    ui.add_space(theme::SECTION);
    facts(app, ui, &v);
    action.then(hints(app, ui, &v))
}

/// The code's type size: [`theme::CODE`], smaller where the window is too
/// narrow for it (zoomed in), so that it stays on one line.
fn code_size(ui: &egui::Ui, grouped: &str) -> f32 {
    // A monospace digit is about 0.6 of the type size wide.
    #[allow(clippy::cast_precision_loss)]
    let chars = grouped.chars().count().max(1) as f32;
    theme::CODE.min(ui.available_width() / (chars * 0.62))
}

/// Below the code: renewal open, clock off.
fn hints(app: &IppunApp, ui: &mut egui::Ui, v: &View) -> Action {
    let mut action = Action::None;
    if let TokenState::RenewalDue { days_left } = v.state {
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(app.tw(
                "gui-renewal-open-short",
                &[("days", &days_left.to_string())],
            ));
            if ui.link(app.t("gui-renew-now")).clicked() {
                action = Action::Go(Screen::Renewal(v.id));
            }
        });
    }
    if let Some(off) = v.clock_offset
        && off.unsigned_abs() > 30
    {
        ui.add_space(6.0);
        let msg = if off > 0 {
            "gui-clock-behind"
        } else {
            "gui-clock-ahead"
        };
        theme::warning(
            ui,
            app.tw(msg, &[("seconds", &off.unsigned_abs().to_string())]),
        );
    }
    action
}

/// Finishing a setup that stopped after the center had answered: the same
/// exchange again, with what the token already holds.
fn finish_pending(app: &IppunApp, id: u64) -> Action {
    let found = app.vault().and_then(|v| {
        let t = v.tokens().get(id)?;
        let key = t
            .center_key
            .as_deref()
            .and_then(ippun_core::protocol::CenterKey::parse)?;
        Some((
            Center {
                url: t.center_url.clone()?,
                key,
            },
            t.service_id.clone(),
            t.user_id.clone(),
        ))
    });
    let Some((center, service_id, user_id)) = found else {
        return Action::Fail(internal("pending token without its center"));
    };
    let job = Job::Setup {
        center: Box::new(center),
        service_id,
        user_id,
    };
    Action::Start(job, None)
}

/// The service's mark: its initial on a coloured disc, opening the
/// service's site when it has one.
fn logo(app: &IppunApp, ui: &mut egui::Ui, v: &View) {
    let size = egui::vec2(48.0, 48.0);
    let (rect, r) = ui.allocate_exact_size(size, egui::Sense::click());
    let hue = v
        .service_name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    // Dark enough for white text on it (contrast above 4.5:1).
    #[allow(clippy::cast_possible_truncation)]
    let color = Color32::from_rgb(
        30 + (hue % 60) as u8,
        50 + ((hue / 7) % 60) as u8,
        90 + ((hue / 13) % 70) as u8,
    );
    ui.painter().circle_filled(rect.center(), 24.0, color);
    let initial: String = v.service_name.chars().take(1).collect();
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        &initial,
        egui::FontId::proportional(24.0),
        Color32::WHITE,
    );
    let label = app.tw("gui-logo-a11y", &[("name", &v.service_name)]);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    if let Some(url) = &v.link_url
        && r.clicked()
    {
        ui.ctx().open_url(egui::OpenUrl::new_tab(url));
    }
}
