//! Setting up a token: the form (with the demo center's users when it
//! runs), "setup complete", and the display-name suffix that follows (also
//! reached from settings).

use eframe::egui::{self, RichText};

use super::super::action::Action;
use super::super::app::{IppunApp, setup_ready};
use super::super::task::Job;
use super::super::theme;
use super::{Keys, Screen, SetupForm, facts, token};
use crate::flows;

pub(super) fn form(app: &IppunApp, ui: &mut egui::Ui, f: &mut SetupForm, keys: Keys) -> Action {
    let first = app.views().is_empty();
    theme::title(
        ui,
        &app.t(if first {
            "gui-setup-title-first"
        } else {
            "gui-setup-title-add"
        }),
    );
    ui.label(app.t("gui-setup-intro"));
    ui.add_space(theme::GAP);
    if app.centers.len() > 1 {
        let current = app
            .centers
            .get(f.center)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        let l = ui.label(app.t("gui-setup-center"));
        egui::ComboBox::from_id_salt("center")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (i, (n, _)) in app.centers.iter().enumerate() {
                    ui.selectable_value(&mut f.center, i, n);
                }
            })
            .response
            .labelled_by(l.id);
    } else if app.centers.is_empty() {
        theme::warning(ui, app.t("gui-setup-no-center"));
    }
    demo_box(app, ui, f);
    theme::field(ui, &app.t("gui-service-id"), &mut f.service_id, false);
    theme::field(ui, &app.t("gui-user-id"), &mut f.user_id, false);
    theme::field(ui, &app.t("gui-activation-password"), &mut f.password, true);
    ui.add_space(6.0);
    ui.checkbox(&mut f.consent, app.t("gui-consent"));
    ui.add_space(10.0);
    let ready = setup_ready(f) && !app.centers.is_empty();
    let send =
        theme::main_button(ui, app.t("gui-send"), ready).clicked() || (ready && keys.enter(ui));
    if !first && (theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui)) {
        return Action::Go(Screen::Settings);
    }
    if !send {
        return Action::None;
    }
    let sid = f.service_id.trim().to_owned();
    let uid = f.user_id.trim().to_owned();
    let checked = flows::check_setup_fields(&sid, &uid, &f.password).and_then(|()| {
        app.vault()
            .map_or(Ok(()), |v| v.tokens().check_add(&sid, &uid))
    });
    if let Err(e) = checked {
        return Action::Fail(e);
    }
    let Some((_, center)) = app.centers.get(f.center).cloned() else {
        return Action::None;
    };
    let job = Job::Setup {
        center: Box::new(center),
        service_id: sid,
        user_id: uid,
    };
    Action::Start(job, Some(std::mem::take(&mut f.password)))
}

/// With the embedded demo center: its users, one click fills the form.
fn demo_box(app: &IppunApp, ui: &mut egui::Ui, form: &mut SetupForm) {
    let Some(demo) = &app.demo else {
        return;
    };
    let mut fill = |u: &super::super::demo::DemoUser| {
        form.service_id.clone_from(&u.service_id);
        form.user_id.clone_from(&u.user_id);
        (*form.password).clone_from(&u.password);
    };
    theme::group(ui, |ui| {
        ui.label(RichText::new(app.t("gui-demo-title")).strong());
        ui.label(app.t("gui-demo-intro"));
        // Compact rows, so that the form below still fits the window.
        ui.spacing_mut().interact_size.y = 20.0;
        ui.spacing_mut().button_padding.y = 1.0;
        ui.spacing_mut().item_spacing.y = 3.0;
        let width = ui.available_width();
        for u in demo.users.iter().filter(|u| u.expected.is_none()).take(5) {
            let text = format!("{} / {}   {}", u.service_id, u.user_id, u.password);
            let button = egui::Button::new(RichText::new(text).monospace())
                .wrap()
                .min_size(egui::vec2(width, 22.0));
            if ui.add(button).clicked() {
                fill(u);
            }
        }
        theme::disclosure(ui, "demo-errors", &app.t("gui-demo-errors"), |ui| {
            for u in demo.users.iter().filter(|u| u.expected.is_some()) {
                let code = u.expected.clone().unwrap_or_default();
                let text = format!("{code}  {} / {}", u.service_id, u.user_id);
                if ui
                    .add(egui::Button::new(RichText::new(text).monospace()).wrap())
                    .clicked()
                {
                    fill(u);
                }
                ui.label(RichText::new(&u.scenario).small().weak());
            }
        });
    });
    ui.add_space(theme::GAP);
}

pub(super) fn done(app: &IppunApp, ui: &mut egui::Ui, id: u64, keys: Keys) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-setup-done-title"));
    ui.label(app.tw("gui-setup-done", &[("name", &v.name)]));
    ui.add_space(theme::GAP);
    facts(app, ui, &v);
    ui.add_space(theme::SECTION);
    if theme::main_button(ui, app.t("gui-next"), true).clicked() || keys.enter(ui) {
        return Action::Go(Screen::Suffix {
            id,
            text: app.suffix_of(id),
            after_setup: true,
        });
    }
    Action::None
}

pub(super) fn suffix(
    app: &IppunApp,
    ui: &mut egui::Ui,
    id: u64,
    text: &mut String,
    after_setup: bool,
    keys: Keys,
) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-suffix-title"));
    ui.label(app.t("gui-suffix-intro"));
    ui.add_space(theme::GAP);
    theme::field(ui, &app.t("gui-suffix"), text, false);
    ui.label(app.tw(
        "gui-suffix-preview",
        &[("name", &format!("{}{}", v.service_name, text))],
    ));
    ui.add_space(10.0);
    let label = if after_setup { "gui-next" } else { "gui-save" };
    if theme::main_button(ui, app.t(label), true).clicked() || keys.enter(ui) {
        return Action::Rename {
            id,
            suffix: text.clone(),
            after_setup,
        };
    }
    if !after_setup && (theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui)) {
        return Action::Go(Screen::Settings);
    }
    Action::None
}
