//! Drawing each screen and dialog. Each screen function gets its state out
//! of [`IppunApp::screen`] and returns the screen to show next, or `None`
//! when it has already moved on (through `open_token`, `go_home`, …).

use eframe::egui::{self, Color32, Key, RichText};
use ippun_core::{Error, ErrorCode, LockCode, TokenState};
use zeroize::Zeroizing;

use super::app::{Dialog, IppunApp, LockForm, LockMode, Screen, SetupForm, View, setup_ready};
use super::autolock;
use super::task::Job;
use crate::flows::{self, Center, TxInbox};
use ippun_core::txconfirm::text::mixes_look_alike_scripts;
use ippun_core::txconfirm::{Decision, Transaction, group_code, show_amount};

const CODE_SIZE: f32 = 52.0;
const NEXT_SHOWN_SECS: u64 = 10;

/// A code as a screen reader should say it: digit by digit (`2 7 5 4 3 0`).
fn spelled(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for (i, c) in code.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn enter(ui: &egui::Ui) -> bool {
    ui.input(|i| i.key_pressed(Key::Enter))
}

fn escape(ui: &egui::Ui) -> bool {
    ui.input(|i| i.key_pressed(Key::Escape))
}

/// A labelled text field; the label names the field for screen readers.
fn field(ui: &mut egui::Ui, label: &str, text: &mut String, password: bool) -> egui::Response {
    let l = ui.label(label);
    let r = ui.add(
        egui::TextEdit::singleline(text)
            .password(password)
            .desired_width(f32::INFINITY),
    );
    r.labelled_by(l.id)
}

fn big_button(ui: &mut egui::Ui, text: String, enabled: bool) -> egui::Response {
    ui.add_enabled(
        enabled,
        egui::Button::new(RichText::new(text).size(17.0)).min_size(egui::vec2(200.0, 36.0)),
    )
}

/// Whether the window's fonts draw every character of `s`: a transaction
/// field with a character they lack would show a blank box instead of a
/// character that is signed, so it is not shown as if it were readable.
fn drawable(ctx: &egui::Context, s: &str) -> bool {
    ctx.fonts_mut(|f| f.has_glyphs(&egui::FontId::proportional(16.0), s))
}

fn title(ui: &mut egui::Ui, text: &str) {
    ui.add_space(8.0);
    ui.heading(RichText::new(text).size(22.0).strong());
    ui.add_space(8.0);
}

// Every screen function has the same shape (state in, next screen out) so
// that `screen_ui` can dispatch uniformly, even where a screen always stays.
#[allow(clippy::unnecessary_wraps)]
impl IppunApp {
    pub(crate) fn screen_ui(&mut self, ui: &mut egui::Ui) {
        let screen = std::mem::replace(&mut self.screen, Screen::Tokens);
        let modal = self.dialog.is_some();
        let next = match screen {
            Screen::Startup(e) => self.startup_ui(ui, e),
            Screen::Lock(code) => self.lock_ui(ui, code, modal),
            Screen::Setup(form) => self.setup_ui(ui, form, modal),
            Screen::SetupDone { id, first } => self.setup_done_ui(ui, id, first),
            Screen::Suffix {
                id,
                text,
                after_setup,
            } => self.suffix_ui(ui, id, text, after_setup, modal),
            Screen::Otp(id) => self.otp_ui(ui, id),
            Screen::Tokens => self.tokens_ui(ui),
            Screen::Settings => self.settings_ui(ui),
            Screen::Delete(id) => self.delete_ui(ui, id),
            Screen::AllDeleted => self.all_deleted_ui(ui),
            Screen::LockSettings(form) => self.lock_settings_ui(ui, form, modal),
            Screen::Correction { id, result } => self.correction_ui(ui, id, result),
            Screen::About => self.about_ui(ui),
            Screen::Catalogue(q) => self.catalogue_ui(ui, q),
            Screen::Renewal(id) => self.renewal_ui(ui, id),
            Screen::Renewed(id) => self.renewed_ui(ui, id),
            Screen::Expired(id) => self.expired_ui(ui, id),
            Screen::Tx { id, inbox } => self.tx_ui(ui, id, inbox),
            Screen::TxDetail { id, tx } => self.tx_detail_ui(ui, id, tx),
            Screen::TxDone { id, decision, code } => self.tx_done_ui(ui, id, decision, code),
        };
        if let Some(s) = next {
            self.screen = s;
        }
    }

    fn startup_ui(&mut self, ui: &mut egui::Ui, e: Error) -> Option<Screen> {
        title(ui, &self.t("gui-startup-title"));
        let code = e.code();
        ui.label(RichText::new(format!("{code}: {}", code.message(self.lang))).strong());
        ui.add_space(6.0);
        ui.label(code.remedy(self.lang));
        ui.add_space(12.0);
        if matches!(code, ErrorCode::A996 | ErrorCode::A998) {
            ui.label(self.t("gui-start-over-note"));
            if big_button(ui, self.t("gui-start-over"), true).clicked() {
                self.start_over();
                return None;
            }
        }
        if ui.button(self.t("gui-quit")).clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        Some(Screen::Startup(e))
    }

    fn lock_ui(
        &mut self,
        ui: &mut egui::Ui,
        mut code: Zeroizing<String>,
        modal: bool,
    ) -> Option<Screen> {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.label(RichText::new("ippun 一分").size(28.0).strong());
            ui.add_space(24.0);
        });
        let r = field(ui, &self.t("gui-lock-code"), &mut code, true);
        // The field takes the keyboard when nothing else has it, so the
        // code can be typed at once; Tab still reaches the button.
        if !modal && ui.memory(|m| m.focused().is_none()) {
            r.request_focus();
        }
        if let Some(l) = &self.locked {
            let wait = l.wait_remaining(&*self.clock);
            if wait > 0 {
                ui.label(
                    RichText::new(self.tw("gui-lock-wait", &[("seconds", &wait.to_string())]))
                        .color(ui.visuals().warn_fg_color),
                );
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_secs(1));
            }
        }
        ui.add_space(12.0);
        let go = big_button(ui, self.t("gui-unlock"), !code.is_empty()).clicked()
            || (!modal && enter(ui) && !code.is_empty());
        if go {
            let typed = std::mem::take(&mut *code);
            self.unlock(&typed);
            drop(Zeroizing::new(typed));
            return None;
        }
        Some(Screen::Lock(code))
    }

    fn setup_ui(&mut self, ui: &mut egui::Ui, mut f: SetupForm, modal: bool) -> Option<Screen> {
        let first = self.views().is_empty();
        title(
            ui,
            &self.t(if first {
                "gui-setup-title-first"
            } else {
                "gui-setup-title-add"
            }),
        );
        ui.label(self.t("gui-setup-intro"));
        ui.add_space(8.0);
        if self.centers.len() > 1 {
            let names: Vec<String> = self.centers.iter().map(|(n, _)| n.clone()).collect();
            let current = names.get(f.center).cloned().unwrap_or_default();
            let l = ui.label(self.t("gui-setup-center"));
            egui::ComboBox::from_id_salt("center")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for (i, n) in names.iter().enumerate() {
                        ui.selectable_value(&mut f.center, i, n);
                    }
                })
                .response
                .labelled_by(l.id);
        } else if self.centers.is_empty() {
            ui.label(
                RichText::new(self.t("gui-setup-no-center")).color(ui.visuals().warn_fg_color),
            );
        }
        if self.demo.is_some() {
            self.demo_box(ui, &mut f);
        }
        field(ui, &self.t("gui-service-id"), &mut f.service_id, false);
        field(ui, &self.t("gui-user-id"), &mut f.user_id, false);
        field(
            ui,
            &self.t("gui-activation-password"),
            &mut f.password,
            true,
        );
        ui.add_space(6.0);
        ui.checkbox(&mut f.consent, self.t("gui-consent"));
        ui.add_space(10.0);
        let ready = setup_ready(&f) && !self.centers.is_empty();
        let send =
            big_button(ui, self.t("gui-send"), ready).clicked() || (!modal && ready && enter(ui));
        if !first && (ui.button(self.t("gui-back")).clicked() || (!modal && escape(ui))) {
            return Some(Screen::Settings);
        }
        if send {
            let sid = f.service_id.trim().to_owned();
            let uid = f.user_id.trim().to_owned();
            let checked = flows::check_setup_fields(&sid, &uid, &f.password).and_then(|()| {
                self.vault()
                    .map_or(Ok(()), |v| v.tokens().check_add(&sid, &uid))
            });
            if let Err(e) = checked {
                self.fail(e);
                return Some(Screen::Setup(f));
            }
            let Some((_, center)) = self.centers.get(f.center).cloned() else {
                return Some(Screen::Setup(f));
            };
            let password = std::mem::take(&mut f.password);
            self.start(
                ui.ctx(),
                Job::Setup {
                    center: Box::new(center),
                    service_id: sid,
                    user_id: uid,
                },
                Some(password),
            );
        }
        Some(Screen::Setup(f))
    }

    fn demo_box(&self, ui: &mut egui::Ui, form: &mut SetupForm) {
        let Some(demo) = &self.demo else {
            return;
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(self.t("gui-demo-title")).strong());
            ui.label(self.t("gui-demo-intro"));
            // Compact rows, so that the form below still fits the window.
            ui.spacing_mut().interact_size.y = 20.0;
            ui.spacing_mut().button_padding.y = 1.0;
            ui.spacing_mut().item_spacing.y = 3.0;
            let width = ui.available_width();
            for u in demo.users.iter().filter(|u| u.expected.is_none()).take(5) {
                let text = format!("{} / {}   {}", u.service_id, u.user_id, u.password);
                let button = egui::Button::new(RichText::new(text).monospace())
                    .min_size(egui::vec2(width, 22.0));
                if ui.add(button).clicked() {
                    form.service_id.clone_from(&u.service_id);
                    form.user_id.clone_from(&u.user_id);
                    (*form.password).clone_from(&u.password);
                }
            }
            egui::CollapsingHeader::new(self.t("gui-demo-errors"))
                .id_salt("demo-errors")
                .show(ui, |ui| {
                    for u in demo.users.iter().filter(|u| u.expected.is_some()) {
                        let code = u.expected.clone().unwrap_or_default();
                        let text = format!("{code}  {} / {}", u.service_id, u.user_id);
                        if ui.button(RichText::new(text).monospace()).clicked() {
                            form.service_id.clone_from(&u.service_id);
                            form.user_id.clone_from(&u.user_id);
                            (*form.password).clone_from(&u.password);
                        }
                        ui.label(RichText::new(&u.scenario).small().weak());
                    }
                });
        });
        ui.add_space(8.0);
    }

    fn setup_done_ui(&mut self, ui: &mut egui::Ui, id: u64, first: bool) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-setup-done-title"));
        ui.label(self.tw("gui-setup-done", &[("name", &v.name)]));
        ui.add_space(8.0);
        self.facts(ui, &v);
        ui.add_space(12.0);
        if big_button(ui, self.t("gui-next"), true).clicked() || enter(ui) {
            let suffix = self
                .vault()
                .and_then(|vv| vv.tokens().get(id).map(|t| t.suffix.clone()))
                .unwrap_or_default();
            return Some(Screen::Suffix {
                id,
                text: suffix,
                after_setup: true,
            });
        }
        Some(Screen::SetupDone { id, first })
    }

    fn facts(&self, ui: &mut egui::Ui, v: &View) {
        egui::Grid::new(("facts", v.id))
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label(self.t("gui-serial"));
                ui.label(RichText::new(&v.serial).monospace())
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(self.t("gui-expires"));
                ui.label(self.date(v.expires_at)).labelled_by(l.id);
                ui.end_row();
            });
    }

    fn suffix_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: u64,
        mut text: String,
        after_setup: bool,
        modal: bool,
    ) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-suffix-title"));
        ui.label(self.t("gui-suffix-intro"));
        ui.add_space(8.0);
        field(ui, &self.t("gui-suffix"), &mut text, false);
        ui.label(self.tw(
            "gui-suffix-preview",
            &[("name", &format!("{}{}", v.service_name, text))],
        ));
        ui.add_space(10.0);
        let label = if after_setup { "gui-next" } else { "gui-save" };
        if big_button(ui, self.t(label), true).clicked() || (!modal && enter(ui)) {
            let suffix = text.clone();
            if !self.change(|vault| vault.rename_token(id, &suffix)) {
                return Some(Screen::Suffix {
                    id,
                    text,
                    after_setup,
                });
            }
            if after_setup {
                if self.views().len() == 1 {
                    self.open_token(id);
                    return None;
                }
                return Some(Screen::Tokens);
            }
            return Some(Screen::Settings);
        }
        if !after_setup && (ui.button(self.t("gui-back")).clicked() || (!modal && escape(ui))) {
            return Some(Screen::Settings);
        }
        Some(Screen::Suffix {
            id,
            text,
            after_setup,
        })
    }

    fn otp_ui(&mut self, ui: &mut egui::Ui, id: u64) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        if v.state == TokenState::Expired {
            return Some(Screen::Expired(id));
        }
        self.selected = Some(id);
        ui.horizontal(|ui| {
            self.logo(ui, &v);
            ui.vertical(|ui| {
                ui.label(RichText::new(&v.name).size(22.0).strong());
                if let Some(url) = &v.link_url {
                    ui.hyperlink_to(self.t("gui-open-site"), url);
                }
            });
        });
        ui.add_space(10.0);
        if v.state == TokenState::Pending {
            ui.label(RichText::new(self.t("gui-pending")).color(ui.visuals().warn_fg_color));
            if big_button(ui, self.t("gui-finish-setup"), true).clicked() {
                self.finish_pending(ui.ctx(), id);
            }
            self.facts(ui, &v);
            return Some(Screen::Otp(id));
        }
        let codes = self.vault().and_then(|vault| {
            let t = vault.tokens().get(id)?;
            let g = t.generator().ok()?;
            let now = g.current(&*self.clock).ok()?;
            let next = g.next(&*self.clock).ok()?;
            Some((now, next, t.params.period.secs()))
        });
        let Some((now, next, period)) = codes else {
            self.fail(Error::new(ErrorCode::A999).with_detail("no code for this token"));
            return Some(Screen::Tokens);
        };
        let plain = now.code.to_string();
        if let Some(t) = self.timing.take() {
            super::app::report_timing("first code on screen", t);
        }
        ui.vertical_centered(|ui| {
            let r = ui.label(
                RichText::new(now.code.grouped())
                    .size(CODE_SIZE)
                    .monospace()
                    .strong(),
            );
            // Read digit by digit, as the customer types it.
            let a11y = self.tw("gui-code-a11y", &[("code", &spelled(&plain))]);
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &a11y));
            let left = now.remaining.as_secs() + u64::from(now.remaining.subsec_nanos() > 0);
            #[allow(clippy::cast_precision_loss)]
            let frac = (now.remaining.as_secs_f32() / period.max(1) as f32).clamp(0.0, 1.0);
            let bar = ui.add(
                egui::ProgressBar::new(frac)
                    .desired_width(280.0)
                    .desired_height(8.0),
            );
            let time_left = self.tw("gui-countdown-a11y", &[("seconds", &left.to_string())]);
            bar.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &time_left)
            });
            ui.label(self.tw("gui-seconds-left", &[("seconds", &left.to_string())]));
            if left <= NEXT_SHOWN_SECS {
                let n = next.code.to_string();
                let r = ui.label(
                    RichText::new(self.tw("gui-next-code", &[("code", &next.code.grouped())]))
                        .size(18.0)
                        .weak(),
                );
                let a11y = self.tw("gui-next-code-a11y", &[("code", &spelled(&n))]);
                r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &a11y));
            }
            ui.add_space(8.0);
            let copy = ui.button(self.t("gui-copy"));
            let shortcut = ui.input(|i| {
                i.events.iter().any(|e| matches!(e, egui::Event::Copy))
                    || (i.modifiers.command && i.key_pressed(Key::C))
            });
            if (copy.clicked() || shortcut) && self.dialog.is_none() {
                self.copy_code(id);
            }
        });
        ui.add_space(12.0);
        self.facts(ui, &v);
        if self.otp_hints(ui, &v) {
            return None;
        }
        Some(Screen::Otp(id))
    }

    /// Below the code: renewal open, clock off. `true` when the user chose
    /// to renew (the screen has changed).
    fn otp_hints(&mut self, ui: &mut egui::Ui, v: &View) -> bool {
        let id = v.id;
        if let TokenState::RenewalDue { days_left } = v.state {
            ui.add_space(6.0);
            let mut renew = false;
            ui.horizontal_wrapped(|ui| {
                ui.label(self.tw(
                    "gui-renewal-open-short",
                    &[("days", &days_left.to_string())],
                ));
                renew = ui.link(self.t("gui-renew-now")).clicked();
            });
            if renew {
                self.screen = Screen::Renewal(id);
                return true;
            }
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
            ui.label(
                RichText::new(self.tw(msg, &[("seconds", &off.unsigned_abs().to_string())]))
                    .color(ui.visuals().warn_fg_color),
            );
        }
        false
    }

    fn finish_pending(&mut self, ctx: &egui::Context, id: u64) {
        let found = self.vault().and_then(|v| {
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
        if let Some((center, service_id, user_id)) = found {
            self.start(
                ctx,
                Job::Setup {
                    center: Box::new(center),
                    service_id,
                    user_id,
                },
                None,
            );
        }
    }

    /// The service's mark: its initial on a coloured disc, opening the
    /// service's site when it has one.
    fn logo(&self, ui: &mut egui::Ui, v: &View) {
        let size = egui::vec2(48.0, 48.0);
        let (rect, r) = ui.allocate_exact_size(size, egui::Sense::click());
        let hue = v
            .service_name
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        #[allow(clippy::cast_possible_truncation)]
        let color = Color32::from_rgb(
            40 + (hue % 120) as u8,
            70 + ((hue / 7) % 100) as u8,
            120 + ((hue / 13) % 100) as u8,
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
        let label = self.tw("gui-logo-a11y", &[("name", &v.service_name)]);
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
        if let Some(url) = &v.link_url
            && r.clicked()
        {
            ui.ctx().open_url(egui::OpenUrl::new_tab(url));
        }
    }

    fn tokens_ui(&mut self, ui: &mut egui::Ui) -> Option<Screen> {
        title(ui, &self.t("gui-tokens-title"));
        let views = self.views();
        for v in &views {
            let state = match v.state {
                TokenState::Pending => self.t("gui-state-pending"),
                TokenState::Active => self.t("gui-state-active"),
                TokenState::RenewalDue { days_left } => {
                    self.tw("gui-state-renewal", &[("days", &days_left.to_string())])
                }
                TokenState::Expired => self.t("gui-state-expired"),
            };
            let text = format!(
                "{}\n{} {} · {}",
                v.name,
                self.t("gui-serial"),
                v.serial,
                state
            );
            let b = egui::Button::new(RichText::new(text).size(16.0))
                .min_size(egui::vec2(ui.available_width(), 48.0));
            if ui.add(b).clicked() {
                self.open_token(v.id);
                return None;
            }
            ui.add_space(4.0);
        }
        ui.add_space(8.0);
        let room = views.len() < ippun_core::token::MAX_TOKENS;
        if ui
            .add_enabled(room, egui::Button::new(self.t("gui-add-token")))
            .clicked()
        {
            return Some(Screen::Setup(SetupForm::default()));
        }
        Some(Screen::Tokens)
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) -> Option<Screen> {
        title(ui, &self.t("gui-settings-title"));
        let views = self.views();
        let sel = self
            .selected
            .filter(|id| views.iter().any(|v| v.id == *id))
            .or_else(|| views.first().map(|v| v.id));
        self.selected = sel;
        if views.len() > 1 {
            let l = ui.label(self.t("gui-settings-token"));
            let current = views
                .iter()
                .find(|v| Some(v.id) == sel)
                .map(|v| v.name.clone())
                .unwrap_or_default();
            let mut chosen = sel;
            egui::ComboBox::from_id_salt("settings-token")
                .selected_text(current)
                .width(ui.available_width() * 0.9)
                .show_ui(ui, |ui| {
                    for v in &views {
                        ui.selectable_value(&mut chosen, Some(v.id), &v.name);
                    }
                })
                .response
                .labelled_by(l.id);
            self.selected = chosen;
        }
        ui.add_space(8.0);
        let sel = self.selected;
        let w = ui.available_width();
        let item = |ui: &mut egui::Ui, text: String, enabled: bool| {
            ui.add_enabled(
                enabled,
                egui::Button::new(text).min_size(egui::vec2(w, 34.0)),
            )
            .clicked()
        };
        let room = views.len() < ippun_core::token::MAX_TOKENS;
        if item(ui, self.t("gui-add-token"), room) {
            return Some(Screen::Setup(SetupForm::default()));
        }
        if item(ui, self.t("gui-delete-token"), sel.is_some()) {
            return sel.map(Screen::Delete);
        }
        if item(ui, self.t("gui-app-lock"), true) {
            return Some(Screen::LockSettings(LockForm::default()));
        }
        if item(ui, self.t("gui-correction"), sel.is_some()) {
            return sel.map(|id| Screen::Correction { id, result: None });
        }
        if item(ui, self.t("gui-display-name"), sel.is_some()) {
            let suffix = sel
                .and_then(|id| {
                    self.vault()
                        .and_then(|v| v.tokens().get(id).map(|t| t.suffix.clone()))
                })
                .unwrap_or_default();
            return sel.map(|id| Screen::Suffix {
                id,
                text: suffix,
                after_setup: false,
            });
        }
        if item(ui, self.t("gui-about"), true) {
            return Some(Screen::About);
        }
        if item(ui, self.t("gui-catalogue"), true) {
            return Some(Screen::Catalogue(String::new()));
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            ui.label(self.t("gui-language"));
            for (lang, name) in [
                (ippun_core::Lang::Ja, "日本語"),
                (ippun_core::Lang::En, "English"),
            ] {
                let r = ui.selectable_label(self.lang == lang, name);
                if r.clicked() && self.lang != lang {
                    self.set_lang(lang);
                }
            }
        });
        Some(Screen::Settings)
    }

    fn delete_ui(&mut self, ui: &mut egui::Ui, id: u64) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            return Some(Screen::Settings);
        };
        title(ui, &self.t("gui-delete-title"));
        ui.label(RichText::new(self.tw("gui-delete-confirm", &[("name", &v.name)])).strong());
        ui.label(self.t("gui-delete-note"));
        ui.add_space(12.0);
        let del = egui::Button::new(RichText::new(self.t("gui-delete")).color(Color32::WHITE))
            .fill(Color32::from_rgb(180, 40, 40))
            .min_size(egui::vec2(200.0, 36.0));
        if ui.add(del).clicked() {
            if !self.change(|vault| vault.delete_token(id).map(|_| ())) {
                return Some(Screen::Settings);
            }
            self.renewal_answered.remove(&id);
            if self.views().is_empty() {
                self.selected = None;
                return Some(Screen::AllDeleted);
            }
            self.selected = self.views().first().map(|v| v.id);
            return Some(Screen::Tokens);
        }
        if ui.button(self.t("gui-cancel")).clicked() || escape(ui) {
            return Some(Screen::Settings);
        }
        Some(Screen::Delete(id))
    }

    fn all_deleted_ui(&mut self, ui: &mut egui::Ui) -> Option<Screen> {
        title(ui, &self.t("gui-all-deleted-title"));
        ui.label(self.t("gui-all-deleted"));
        ui.add_space(12.0);
        if big_button(ui, self.t("gui-next"), true).clicked() || enter(ui) {
            return Some(Screen::Setup(SetupForm::default()));
        }
        Some(Screen::AllDeleted)
    }

    /// How long without use before the window locks again.
    fn auto_lock_choice(&mut self, ui: &mut egui::Ui) {
        ui.add_space(10.0);
        ui.label(self.t("gui-autolock-intro"));
        let mut chosen = None;
        ui.horizontal_wrapped(|ui| {
            for m in autolock::CHOICES {
                let text = self.tw("gui-autolock-minutes", &[("minutes", &m.to_string())]);
                let on = self.idle.minutes() == m;
                if ui.add(egui::Button::selectable(on, text)).clicked() {
                    chosen = Some(m);
                }
            }
        });
        if let Some(m) = chosen {
            self.set_auto_lock(m);
        }
    }

    fn lock_settings_ui(
        &mut self,
        ui: &mut egui::Ui,
        mut f: LockForm,
        modal: bool,
    ) -> Option<Screen> {
        title(ui, &self.t("gui-lock-title"));
        let on = self.vault().is_some_and(|v| v.lock_enabled());
        match f.mode {
            LockMode::Menu => {
                ui.label(self.t(if on {
                    "gui-lock-is-on"
                } else {
                    "gui-lock-is-off"
                }));
                ui.add_space(10.0);
                if on {
                    if big_button(ui, self.t("gui-lock-change"), true).clicked() {
                        f.mode = LockMode::Change;
                    }
                    if big_button(ui, self.t("gui-lock-turn-off"), true).clicked() {
                        self.dialog = Some(Dialog::LockWarning(LockMode::Off));
                    }
                    self.auto_lock_choice(ui);
                } else if big_button(ui, self.t("gui-lock-turn-on"), true).clicked() {
                    self.dialog = Some(Dialog::LockWarning(LockMode::Set));
                }
                ui.add_space(6.0);
                if ui.button(self.t("gui-back")).clicked() || (!modal && escape(ui)) {
                    return Some(Screen::Settings);
                }
                return Some(Screen::LockSettings(f));
            }
            LockMode::Set => ui.label(self.t("gui-lock-set-intro")),
            LockMode::Change => ui.label(self.t("gui-lock-change-intro")),
            LockMode::Off => ui.label(self.t("gui-lock-off-intro")),
        };
        ui.add_space(6.0);
        if matches!(f.mode, LockMode::Change | LockMode::Off) {
            field(ui, &self.t("gui-lock-current"), &mut f.current, true);
        }
        if matches!(f.mode, LockMode::Set | LockMode::Change) {
            field(ui, &self.t("gui-lock-new"), &mut f.new, true);
            field(ui, &self.t("gui-lock-again"), &mut f.again, true);
        }
        ui.add_space(10.0);
        let filled = match f.mode {
            LockMode::Set => !f.new.is_empty() && !f.again.is_empty(),
            LockMode::Change => !f.current.is_empty() && !f.new.is_empty() && !f.again.is_empty(),
            LockMode::Off => !f.current.is_empty(),
            LockMode::Menu => false,
        };
        let go =
            big_button(ui, self.t("gui-save"), filled).clicked() || (!modal && filled && enter(ui));
        if ui.button(self.t("gui-cancel")).clicked() || (!modal && escape(ui)) {
            return Some(Screen::LockSettings(LockForm::default()));
        }
        if go {
            let clock = self.clock.clone();
            let mode = f.mode;
            let result = match mode {
                LockMode::Set => LockCode::confirmed(&f.new, &f.again)
                    .and_then(|code| self.with_vault(|v| v.set_lock(&code))),
                LockMode::Change => LockCode::confirmed(&f.new, &f.again).and_then(|new| {
                    let current =
                        LockCode::parse(&f.current).map_err(|_| Error::new(ErrorCode::A914))?;
                    self.with_vault(|v| v.change_lock(&current, &new, &*clock))
                }),
                LockMode::Off => LockCode::parse(&f.current)
                    .map_err(|_| Error::new(ErrorCode::A914))
                    .and_then(|current| self.with_vault(|v| v.disable_lock(&current, &*clock))),
                LockMode::Menu => Ok(()),
            };
            match result {
                Ok(()) => {
                    let msg = match mode {
                        LockMode::Set => "gui-lock-done-on",
                        LockMode::Change => "gui-lock-done-changed",
                        _ => "gui-lock-done-off",
                    };
                    self.status = Some((
                        self.t(msg),
                        std::time::Instant::now() + std::time::Duration::from_secs(4),
                    ));
                    return Some(Screen::LockSettings(LockForm::default()));
                }
                Err(e) => {
                    self.fail(e);
                    f.current = Zeroizing::default();
                    f.new = Zeroizing::default();
                    f.again = Zeroizing::default();
                }
            }
        }
        Some(Screen::LockSettings(f))
    }

    fn correction_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: u64,
        result: Option<flows::Correction>,
    ) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            return Some(Screen::Settings);
        };
        title(ui, &self.t("gui-correction-title"));
        ui.label(RichText::new(&v.name).strong());
        ui.add_space(6.0);
        ui.label(self.t("gui-correction-intro"));
        ui.add_space(6.0);
        ui.label(
            RichText::new(self.t("gui-correction-check-clock")).color(ui.visuals().warn_fg_color),
        );
        ui.add_space(10.0);
        if let Some(c) = result {
            let secs = c.offset_seconds.unsigned_abs().to_string();
            let steps = c.offset_steps.unsigned_abs().to_string();
            let msg = match c.offset_seconds.cmp(&0) {
                std::cmp::Ordering::Greater => "cli-corrected-ahead",
                std::cmp::Ordering::Less => "cli-corrected-behind",
                std::cmp::Ordering::Equal => "cli-corrected-none",
            };
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(
                    RichText::new(self.tw(msg, &[("seconds", &secs), ("steps", &steps)])).strong(),
                );
                ui.label(self.t("cli-corrected-wait"));
            });
            ui.add_space(10.0);
        }
        if big_button(ui, self.t("gui-correction-run"), true).clicked() {
            self.start(ui.ctx(), Job::Correct(id), None);
        }
        if ui.button(self.t("gui-back")).clicked() || escape(ui) {
            return Some(Screen::Settings);
        }
        Some(Screen::Correction { id, result })
    }

    fn about_ui(&mut self, ui: &mut egui::Ui) -> Option<Screen> {
        title(ui, &self.t("gui-about-title"));
        ui.label(RichText::new(format!("ippun 一分 {}", env!("CARGO_PKG_VERSION"))).strong());
        ui.label(self.t("gui-about-what"));
        ui.add_space(8.0);
        let fact = |ui: &mut egui::Ui, what: String, value: String, mono: bool| {
            ui.label(RichText::new(what).weak());
            let v = RichText::new(value);
            ui.label(if mono { v.monospace() } else { v });
            ui.add_space(2.0);
        };
        fact(
            ui,
            self.t("gui-about-data"),
            self.home.dir().display().to_string(),
            true,
        );
        fact(
            ui,
            self.t("gui-about-key-store"),
            self.key_store_text(),
            false,
        );
        fact(
            ui,
            self.t("gui-about-licence"),
            "Apache-2.0 OR MIT".into(),
            false,
        );
        fact(
            ui,
            self.t("gui-about-font"),
            "BIZ UDPGothic — SIL Open Font License 1.1".into(),
            false,
        );
        ui.add_space(6.0);
        egui::CollapsingHeader::new(self.t("gui-about-ofl"))
            .id_salt("ofl")
            .show(ui, |ui| {
                ui.label(RichText::new(super::OFL_TEXT).small().monospace());
            });
        ui.label(self.t("gui-about-crates"));
        ui.add_space(8.0);
        if ui.button(self.t("gui-back")).clicked() || escape(ui) {
            return Some(Screen::Settings);
        }
        Some(Screen::About)
    }

    fn catalogue_ui(&mut self, ui: &mut egui::Ui, mut q: String) -> Option<Screen> {
        title(ui, &self.t("gui-catalogue-title"));
        field(ui, &self.t("gui-catalogue-search"), &mut q, false);
        ui.add_space(6.0);
        let needle = q.trim().to_lowercase();
        let mut shown = 0;
        for code in ErrorCode::ALL {
            let e = code.explain(self.lang);
            let hay = format!("{} {} {}", e.code, e.message, e.remedy).to_lowercase();
            if !needle.is_empty() && !hay.contains(&needle) {
                continue;
            }
            shown += 1;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new(e.code).monospace().strong());
                ui.label(&e.message);
                egui::CollapsingHeader::new(self.t("gui-catalogue-details"))
                    .id_salt(("code", e.code))
                    .show(ui, |ui| {
                        for (what, text) in [
                            ("gui-catalogue-phase", &e.phase_label),
                            ("gui-catalogue-remedy", &e.remedy),
                            ("gui-catalogue-helpdesk", &e.helpdesk),
                        ] {
                            ui.label(RichText::new(self.t(what)).weak());
                            ui.label(text);
                        }
                    });
            });
        }
        if shown == 0 {
            ui.label(self.t("gui-catalogue-none"));
        }
        ui.add_space(8.0);
        if ui.button(self.t("gui-back")).clicked() || escape(ui) {
            return Some(Screen::Settings);
        }
        Some(Screen::Catalogue(q))
    }

    fn renewal_ui(&mut self, ui: &mut egui::Ui, id: u64) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-renewal-title"));
        let days = match v.state {
            TokenState::RenewalDue { days_left } => days_left,
            _ => 0,
        };
        ui.label(RichText::new(&v.name).strong());
        ui.label(self.tw(
            "gui-renewal-intro",
            &[
                ("days", &days.to_string()),
                ("date", &self.date(v.expires_at)),
            ],
        ));
        ui.add_space(12.0);
        if big_button(ui, self.t("gui-renew-now"), true).clicked() {
            self.start(ui.ctx(), Job::Renew(id), None);
            return Some(Screen::Renewal(id));
        }
        if ui.button(self.t("gui-remind-later")).clicked() || escape(ui) {
            self.renewal_answered.insert(id);
            let now = self.now();
            self.change(|vault| vault.update_token(id, |t| t.renewal_postponed_at = Some(now)));
            return Some(Screen::Otp(id));
        }
        Some(Screen::Renewal(id))
    }

    fn tx_ui(&mut self, ui: &mut egui::Ui, id: u64, inbox: Option<TxInbox>) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-tx-title"));
        ui.label(RichText::new(&v.name).strong());
        ui.add_space(6.0);
        let Some(inbox) = inbox else {
            ui.label(self.t("gui-tx-intro"));
            ui.add_space(12.0);
            if big_button(ui, self.t("gui-tx-check"), true).clicked() {
                self.open_tx(ui.ctx(), id);
                return None;
            }
            return Some(Screen::Tx { id, inbox: None });
        };
        if let Some(start) = &inbox.start {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new(self.t("gui-tx-start-note")).size(16.0));
                ui.add_space(6.0);
                if big_button(ui, self.t("gui-tx-start"), true).clicked() {
                    self.start(ui.ctx(), Job::TxStart(id, start.id.clone()), None);
                }
            });
            ui.add_space(10.0);
        }
        if !inbox.enabled && inbox.start.is_none() {
            ui.label(RichText::new(ErrorCode::S5A1.message(self.lang)).size(16.0));
            ui.label(ErrorCode::S5A1.remedy(self.lang));
            ui.add_space(10.0);
        }
        if inbox.enabled && inbox.transactions.is_empty() {
            ui.label(RichText::new(self.t("gui-tx-none")).size(16.0));
            ui.add_space(10.0);
        }
        let mut review = None;
        for tx in &inbox.transactions {
            let amount = show_amount(self.lang, &tx.amount, &tx.currency);
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new(&amount).size(22.0).strong());
                for (text, size) in [(&tx.payee, 16.0), (&tx.reference, 14.0)] {
                    if drawable(ui.ctx(), text) {
                        ui.add(egui::Label::new(RichText::new(text).size(size)).wrap());
                    } else {
                        ui.label(RichText::new(self.t("gui-tx-unreadable-field")).weak());
                    }
                }
                let r = ui.button(self.t("gui-tx-review"));
                let a11y = self.tw(
                    "gui-tx-review-a11y",
                    &[("payee", &tx.payee), ("amount", &amount)],
                );
                r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, a11y.clone()));
                if r.clicked() {
                    review = Some(tx.clone());
                }
            });
            ui.add_space(6.0);
        }
        if let Some(tx) = review {
            return Some(Screen::TxDetail {
                id,
                tx: Box::new(tx),
            });
        }
        ui.add_space(6.0);
        if ui.button(self.t("gui-tx-check-again")).clicked() {
            self.open_tx(ui.ctx(), id);
            return None;
        }
        Some(Screen::Tx {
            id,
            inbox: Some(inbox),
        })
    }

    fn tx_detail_ui(&mut self, ui: &mut egui::Ui, id: u64, tx: Box<Transaction>) -> Option<Screen> {
        title(ui, &self.t("gui-tx-detail-title"));
        ui.label(self.t("gui-tx-detail-intro"));
        ui.add_space(10.0);
        let amount = show_amount(self.lang, &tx.amount, &tx.currency);
        let expires = self.zone.date_time(self.lang, tx.expires_at);
        // Each signed field is shown whole, wrapped, never cut short; a field
        // the fonts cannot draw is not shown as if it were readable, and
        // cannot be approved.
        let mut readable = true;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            for (label, value, size) in [
                ("gui-tx-payee", tx.payee.as_str(), 20.0),
                ("gui-tx-account", tx.account.as_str(), 17.0),
                ("gui-tx-amount", amount.as_str(), 28.0),
                ("gui-tx-reference", tx.reference.as_str(), 17.0),
                ("gui-tx-expires", expires.as_str(), 15.0),
            ] {
                let l = ui.label(RichText::new(self.t(label)).weak());
                let r = if drawable(ui.ctx(), value) {
                    ui.add(egui::Label::new(RichText::new(value).size(size).strong()).wrap())
                } else {
                    readable = false;
                    ui.label(
                        RichText::new(self.t("gui-tx-unreadable-field"))
                            .color(ui.visuals().warn_fg_color),
                    )
                };
                r.labelled_by(l.id);
                if mixes_look_alike_scripts(value) {
                    ui.label(
                        RichText::new(self.t("gui-tx-look-alike"))
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                ui.add_space(4.0);
            }
        });
        ui.add_space(12.0);
        let live = self.now() < tx.expires_at;
        if !live {
            ui.label(
                RichText::new(self.t("gui-tx-expired-note")).color(ui.visuals().warn_fg_color),
            );
            ui.add_space(8.0);
        }
        if !readable {
            ui.label(
                RichText::new(self.t("gui-tx-unreadable-note")).color(ui.visuals().warn_fg_color),
            );
            ui.add_space(8.0);
        }
        let mut answer = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    live && readable,
                    egui::Button::new(RichText::new(self.t("gui-tx-approve")).size(17.0).strong())
                        .min_size(egui::vec2(150.0, 40.0)),
                )
                .clicked()
            {
                answer = Some(Decision::Approve);
            }
            if ui
                .add_enabled(
                    live,
                    egui::Button::new(RichText::new(self.t("gui-tx-reject")).size(17.0))
                        .min_size(egui::vec2(150.0, 40.0)),
                )
                .clicked()
            {
                answer = Some(Decision::Reject);
            }
        });
        if let Some(d) = answer {
            self.start(ui.ctx(), Job::TxAnswer(id, tx.clone(), d), None);
            return Some(Screen::TxDetail { id, tx });
        }
        ui.add_space(8.0);
        if ui.button(self.t("gui-back")).clicked() || escape(ui) {
            self.open_tx(ui.ctx(), id);
            return None;
        }
        Some(Screen::TxDetail { id, tx })
    }

    fn tx_done_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: u64,
        decision: Decision,
        code: String,
    ) -> Option<Screen> {
        let t = match decision {
            Decision::Approve => "gui-tx-approved-title",
            Decision::Reject => "gui-tx-rejected-title",
        };
        title(ui, &self.t(t));
        ui.label(RichText::new(self.t("gui-tx-answered")).size(16.0));
        ui.add_space(10.0);
        let grouped = group_code(&code);
        ui.label(
            RichText::new(self.tw("gui-tx-code", &[("code", &grouped)]))
                .size(22.0)
                .strong(),
        );
        ui.label(self.t("gui-tx-code-note"));
        ui.add_space(12.0);
        if big_button(ui, self.t("gui-next"), true).clicked() || enter(ui) {
            self.open_tx(ui.ctx(), id);
            return None;
        }
        Some(Screen::TxDone { id, decision, code })
    }

    fn renewed_ui(&mut self, ui: &mut egui::Ui, id: u64) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-renewed-title"));
        ui.label(self.tw(
            "gui-renewed",
            &[("name", &v.name), ("date", &self.date(v.expires_at))],
        ));
        ui.add_space(12.0);
        if big_button(ui, self.t("gui-next"), true).clicked() || enter(ui) {
            return Some(Screen::Otp(id));
        }
        Some(Screen::Renewed(id))
    }

    fn expired_ui(&mut self, ui: &mut egui::Ui, id: u64) -> Option<Screen> {
        let Some(v) = self.view(id) else {
            self.go_home();
            return None;
        };
        title(ui, &self.t("gui-expired-title"));
        ui.label(
            RichText::new(self.tw(
                "gui-expired",
                &[("name", &v.name), ("date", &self.date(v.expires_at))],
            ))
            .strong(),
        );
        ui.add_space(6.0);
        let only = self.views().len() == 1;
        ui.label(self.t(if only {
            "gui-expired-only"
        } else {
            "gui-expired-several"
        }));
        ui.add_space(12.0);
        let label = if only {
            "gui-expired-ok"
        } else {
            "gui-expired-delete"
        };
        if big_button(ui, self.t(label), true).clicked() {
            if !self.change(|vault| vault.delete_token(id).map(|_| ())) {
                return Some(Screen::Expired(id));
            }
            self.renewal_answered.remove(&id);
            self.selected = None;
            if self.views().is_empty() {
                return Some(Screen::Setup(SetupForm::default()));
            }
            return Some(Screen::Tokens);
        }
        if !only && (ui.button(self.t("gui-back")).clicked() || escape(ui)) {
            return Some(Screen::Tokens);
        }
        Some(Screen::Expired(id))
    }

    pub(crate) fn dialog_ui(&mut self, ui: &mut egui::Ui) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        let ctx = ui.ctx().clone();
        let keep = match &dialog {
            Dialog::Error {
                error,
                clock_offset,
            } => {
                let code = error.code();
                let mut close = false;
                egui::Modal::new(egui::Id::unique("error-dialog")).show(&ctx, |ui| {
                    ui.set_max_width(360.0);
                    ui.label(RichText::new(self.t("gui-error-title")).size(18.0).strong());
                    ui.add_space(6.0);
                    ui.label(RichText::new(code.as_str()).size(26.0).monospace().strong());
                    ui.label(RichText::new(code.message(self.lang)).strong());
                    ui.add_space(6.0);
                    ui.label(code.remedy(self.lang));
                    ui.add_space(10.0);
                    ui.horizontal(|ui| {
                        if ui.button(self.t("gui-copy-diagnostics")).clicked() {
                            ui.ctx().copy_text(super::app::diagnostics(
                                error,
                                &*self.clock,
                                *clock_offset,
                            ));
                            self.status = Some((
                                self.t("gui-diagnostics-copied"),
                                std::time::Instant::now() + std::time::Duration::from_secs(3),
                            ));
                        }
                        if ui.button(self.t("gui-close")).clicked()
                            || ui.input(|i| i.key_pressed(Key::Escape))
                        {
                            close = true;
                        }
                    });
                });
                !close
            }
            Dialog::LockWarning(mode) => {
                let mode = *mode;
                let mut close = false;
                egui::Modal::new(egui::Id::unique("lock-warning")).show(&ctx, |ui| {
                    ui.set_max_width(360.0);
                    ui.label(
                        RichText::new(self.t("gui-lock-warning-title"))
                            .size(18.0)
                            .strong(),
                    );
                    ui.add_space(6.0);
                    ui.label(self.t(if mode == LockMode::Off {
                        "gui-lock-warning-off"
                    } else {
                        "gui-lock-warning-on"
                    }));
                    ui.add_space(10.0);
                    ui.horizontal(|ui| {
                        if ui.button(self.t("gui-continue")).clicked() {
                            self.screen = Screen::LockSettings(LockForm {
                                mode,
                                ..LockForm::default()
                            });
                            close = true;
                        }
                        if ui.button(self.t("gui-cancel")).clicked()
                            || ui.input(|i| i.key_pressed(Key::Escape))
                        {
                            close = true;
                        }
                    });
                });
                !close
            }
        };
        if keep {
            self.dialog = Some(dialog);
        }
    }
}
