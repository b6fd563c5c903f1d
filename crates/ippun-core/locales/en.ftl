## ippun — English texts.
## Every message here has a twin with the same identifier in ja.ftl.

## Phases of the error catalogue

phase-setup = Setup / adding a token
phase-renewal = Renewal
phase-correction = Password correction
phase-transaction = Transaction confirmation
phase-lock = App lock
phase-startup = Starting the app
phase-any = Any time

## Error catalogue: message, remedy (.remedy) and help-desk note (.helpdesk).

error-A911 = The service ID, user ID or activation password is not in the expected form.
    .remedy = Check the letters you entered against the letter from your bank, then enter them again. Half-width letters and digits only.
    .helpdesk = Found by the app before anything is sent, so the center has no record. Usually a full-width character, a space, or a field left empty.

error-A916 = This service ID and user ID are already set up in this app.
    .remedy = You can use the token that is already there. To set it up again, delete that token first.
    .helpdesk = The app refuses to hold the same service ID and user ID twice. No request reached the center.

error-A917 = This app already holds ten tokens, the most it can hold.
    .remedy = Delete a token you no longer use in Settings, then add the new one.
    .helpdesk = ippun extension. The limit is ten tokens per app. No request reached the center.

error-S0A1 = Setup could not be completed. The service ID is not recognised.
    .remedy = Check the service ID in the letter from your bank and enter it again.
    .helpdesk = The center has no service with this ID. Ask the customer to read the service ID aloud, character by character.

error-S0B1 = Setup could not be completed. The service ID is wrong or not available for setup.
    .remedy = Check the service ID in the letter from your bank. If it is correct, please contact your bank.
    .helpdesk = The service exists but is not open for token setup (not yet started, or closed). Check the service's status in the admin console.

error-S0C1 = The user ID or the activation password is wrong.
    .remedy = Check both against the letter from your bank and enter them again. After several wrong tries the activation password is locked.
    .helpdesk = Each wrong try counts against the service ID and user ID together; five within 15 minutes lock setup for 15 minutes (S0C4). `admin user list` shows the tries so far.

error-S0B4 = This user ID is already set up on another device. A token can be used on one device only.
    .remedy = To use this device, please ask your bank to re-issue the token.
    .helpdesk = The user has an active token. Re-issue it in the admin console; the customer then sets up again with the new activation password.

error-S0B5 = This user ID is suspended, so setup cannot continue.
    .remedy = Please contact your bank.
    .helpdesk = The user is suspended. Resume the user only after the usual identity checks.

error-S0G1 = Setup could not be completed.
    .remedy = Check every field — service ID, user ID and activation password — and try again.
    .helpdesk = The center refused the request without a more specific reason. Check the audit log for this user.

error-S0C4 = The activation password is locked after too many wrong tries.
    .remedy = Please wait 15 minutes and try again, or ask your bank for a new activation password.
    .helpdesk = Five wrong tries within 15 minutes lock setup for 15 minutes (the center's setting); the lock ends by itself, and a new activation password ends it at once. User IDs that do not exist lock the same way, so a lock does not prove the user ID is right.

error-S0F1 = This device's date, time or time zone appears to be wrong.
    .remedy = Set the date, time and time zone of this device correctly (automatic time is best), then try again.
    .helpdesk = The device clock differs from the center by more than the allowed bound. Ask the customer to compare the device clock with a reliable one, including the time zone.

error-A000 = Could not connect to the authentication center.
    .remedy = Check that this device is online, then try again.
    .helpdesk = No connection could be made (offline, DNS, firewall or proxy). Nothing reached the center.

error-A001 = The authentication center did not answer in time.
    .remedy = Please wait a little and try again.
    .helpdesk = Timeout during setup. If many customers report it, check the center's load.

error-A002 = A secure connection to the authentication center could not be established.
    .remedy = Check the device's date and time, and try another network. Public Wi-Fi sometimes interferes with secure connections.
    .helpdesk = TLS or certificate failure. A wrong device clock, a proxy that inspects traffic, or an expired center certificate are the usual causes.

error-A003 = The authentication center gave an unexpected answer.
    .remedy = Please wait a little and try again.
    .helpdesk = ippun extension. The center answered with an HTTP status the protocol does not use. Often a proxy or load balancer in between.

error-A006 = The authentication center is busy or under maintenance.
    .remedy = Please try again later.
    .helpdesk = The center answered with a server error (5xx) or a maintenance notice.

error-A007 = The answer from the authentication center could not be read.
    .remedy = Please try again. If this keeps happening, try another network.
    .helpdesk = The reply was not valid protocol JSON. A captive portal or proxy rewriting the answer is a common cause.

error-A008 = The answer from the authentication center could not be verified.
    .remedy = Please stop and contact your bank before trying again.
    .helpdesk = The center's signature or key confirmation did not check out. Treat it as a possible interception until shown otherwise; note the customer's network.

error-A009 = This version of the app cannot talk to the authentication center.
    .remedy = Please update the app to the latest version.
    .helpdesk = The center does not support the app's protocol version, or the reverse. Check the app version in the diagnostics.

error-A010 = The connection broke off during setup.
    .remedy = Please try again. It is safe to do so.
    .helpdesk = The exchange was interrupted after the center may have acted. The token stays pending on the center and the next try completes it; it does not cause S0B4.

error-A300 = Could not connect to the authentication center for renewal.
    .remedy = Check that this device is online, then try the renewal again. Until the renewal is finished, please do not use transaction confirmation.
    .helpdesk = No connection during renewal. The old credentials remain valid until their expiry date.

error-A301 = Renewal failed: the authentication center did not answer in time.
    .remedy = Please try the renewal again. Until it is finished, please do not use transaction confirmation.
    .helpdesk = Timeout during renewal. The token keeps its current key until renewal succeeds.

error-A302 = Renewal failed: a secure connection could not be established.
    .remedy = Check the device's date and time, try another network, and renew again. Until then, please do not use transaction confirmation.
    .helpdesk = TLS or certificate failure during renewal; see A002 for the usual causes.

error-A303 = Renewal failed: the authentication center gave an unexpected answer.
    .remedy = Please try the renewal again later. Until it is finished, please do not use transaction confirmation.
    .helpdesk = Unexpected HTTP status during renewal, often from a proxy in between.

error-A306 = Renewal failed: the authentication center is busy or under maintenance.
    .remedy = Please try the renewal again later. Until it is finished, please do not use transaction confirmation.
    .helpdesk = Server error (5xx) or maintenance during renewal.

error-A307 = Renewal failed: the answer from the authentication center could not be read.
    .remedy = Please try the renewal again. Until it is finished, please do not use transaction confirmation.
    .helpdesk = Malformed reply during renewal; see A007.

error-A308 = Renewal failed: the answer from the authentication center could not be verified.
    .remedy = Please contact your bank before trying again. Do not use transaction confirmation until the renewal is finished.
    .helpdesk = Signature or key confirmation failure during renewal; treat as a possible interception. The old key stays in use.

error-A309 = Renewal failed: this version of the app cannot talk to the authentication center.
    .remedy = Please update the app, then renew again. Until then, please do not use transaction confirmation.
    .helpdesk = Protocol version mismatch during renewal.

error-A310 = The connection broke off during renewal.
    .remedy = Please try the renewal again. It is safe to do so. Until it is finished, please do not use transaction confirmation.
    .helpdesk = Interrupted after the center may have acted. The center keeps the old key valid until the app confirms the new one, so a retry is safe.

error-S3B3 = Renewal is not possible: the initial setup after your application has not been completed.
    .remedy = Please complete the initial setup first, or contact your bank.
    .helpdesk = The center has no completed setup for this user since the latest application. Check the user's token state in the admin console.

error-S3B5 = Renewal is not possible: this user ID is suspended.
    .remedy = Please contact your bank.
    .helpdesk = The user is suspended. Resume the user after the usual checks, then the customer renews.

error-S3E4 = Renewal is not possible at this time: it is outside the renewal period.
    .remedy = Check this device's date, time and time zone. Renewal opens 180 days before the expiry date.
    .helpdesk = The center considers the token outside its renewal window. A wrong device date is the usual cause; compare with the expiry date in the admin console.

error-S3D3 = Renewal is not possible while transaction confirmation is being started.
    .remedy = Please finish starting transaction confirmation, then renew.
    .helpdesk = A transaction-confirmation start is pending for this user. The customer completes it in the app (the Confirm tab, or ippun tx start), then renews.

error-S3D4 = Renewal is not possible while transactions are waiting for your confirmation.
    .remedy = Please approve or reject the waiting transactions first, then renew.
    .helpdesk = The user has transactions waiting for confirmation (ippun-center admin tx list --pending). They must be answered in the app, expire, or be withdrawn by the bank before renewal. Checked last: a suspended user (S3B5), an inactive token (S3B3), a token outside its renewal period (S3E4) or a pending start (S3D3) is answered first.

error-A400 = Could not connect to the authentication center for the correction.
    .remedy = Check that this device is online, then run the correction again.
    .helpdesk = No connection during password correction.

error-A401 = The correction failed because of a communication problem.
    .remedy = Please wait a little and run the correction again.
    .helpdesk = Transport failure during correction: timeout, TLS, server error or interruption. Running it again is safe.

error-A403 = The correction failed: the answer from the authentication center was not as expected.
    .remedy = Please run the correction again later. If it keeps failing, update the app or contact your bank.
    .helpdesk = Reply failure during correction: unexpected status, unreadable reply, bad signature or version mismatch. The diagnostics show the app version.

error-S4E3 = The correction is not possible because the token has expired.
    .remedy = Please renew the token first, then run the correction.
    .helpdesk = Correction is refused for an expired token. If renewal is no longer possible, the token must be re-issued.

error-S4F1 = The device clock is too far off to be corrected.
    .remedy = Set this device's date, time and time zone correctly (automatic time is best), then run the correction again.
    .helpdesk = ippun extension. No OTP matched within the center's search bound (24 hours by default). Almost always a wrong time zone or date.

error-A500 = Could not connect to the authentication center for transaction confirmation.
    .remedy = Please check that this device is online, then try again.
    .helpdesk = ippun extension. No connection (DNS, refused, unreachable) while fetching or answering transactions. Nothing was recorded.

error-A501 = Transaction confirmation failed because of a communication problem.
    .remedy = Please wait a little and try again. If you were answering a transaction, open the list again to see whether your answer arrived.
    .helpdesk = ippun extension. Transport failure (timeout, TLS, server error or interruption). An answer may have been recorded; the transaction then no longer appears in the list, and answering it again gives S5D1.

error-A503 = Transaction confirmation failed: the answer from the authentication center was not as expected.
    .remedy = Please try again later. Do not approve anything until the list can be shown.
    .helpdesk = ippun extension. Unexpected HTTP status, malformed reply, bad center signature or unsupported protocol version. A bad signature can mean the connection is being tampered with. Also when the center's signed list holds a transaction whose text breaks the transaction-text rule (hidden or right-to-left characters, text not in NFC, …): the whole list is refused, since the center should never have accepted it; the bank checks the center (ippun-center admin tx list shows such text escaped).

error-S5A1 = Transaction confirmation is not in use for this token.
    .remedy = If your bank asked you to confirm a transaction, please contact the bank.
    .helpdesk = ippun extension. The bank has not started transaction confirmation for this user's token, or the start was not completed by the app. Start it with POST /v1/tx/starts.

error-S5B1 = This transaction cannot be found.
    .remedy = The bank may have withdrawn it. Please open the list again; if the transfer is still needed, start it again on the bank's web site.
    .helpdesk = ippun extension. The transaction ID is unknown, belongs to another user or token, or the bank withdrew the transaction (POST /v1/tx/transactions/ID/withdraw or ippun-center admin tx withdraw ID). Refused; nothing was recorded.

error-S5C1 = The answer does not match the transaction held by the bank.
    .remedy = Please do not approve it. Contact your bank: the details shown may have been changed.
    .helpdesk = ippun extension. The OCRA value over the transaction data did not match the center's copy. Possible tampering on the device; the attempt is in the audit log.

error-S5D1 = This transaction has already been answered.
    .remedy = Nothing more is needed. Open the list again to see the transactions still waiting.
    .helpdesk = ippun extension. A second answer (replay, or a retry after A501) for a transaction that is no longer pending. The first answer stands.

error-S5E1 = This transaction has expired.
    .remedy = If the transfer is still needed, please start it again on the bank's web site.
    .helpdesk = ippun extension. The answer arrived after the transaction's expiry set by the bank. Nothing was recorded.

error-A914 = The lock code is not correct.
    .remedy = Enter the lock code again. If you have forgotten it, the tokens must be deleted and issued again by your bank.
    .helpdesk = A lock code cannot be recovered or reset by the bank. Repeated wrong codes make the app wait longer between tries.

error-A915 = Too many wrong lock codes. Please wait before trying again.
    .remedy = Wait until the countdown ends, then enter the lock code again.
    .helpdesk = ippun extension. The waiting time grows with each wrong code and persists when the app is restarted. The tokens are never deleted because of wrong codes.

error-A998 = The tokens in this app belong to another device.
    .remedy = Tokens cannot be moved between devices. Please ask your bank to re-issue them for this device.
    .helpdesk = The token data was copied from another device (backup restore or device change); the device key does not match. The data file is kept untouched. Re-issue the tokens.

error-A996 = The app's token data is damaged and cannot be read.
    .remedy = Please contact your bank. The damaged data is kept; you may start over, and the tokens will then need to be issued again.
    .helpdesk = ippun extension. The data file failed its integrity check (disk error or an edited file). It is never overwritten; starting over keeps a copy.

error-A997 = ippun is already running and using the token data.
    .remedy = Switch to the open ippun window, or close it and start again.
    .helpdesk = ippun extension. Only one running app may use the token data at a time.

error-A995 = The token data was saved by a newer version of ippun.
    .remedy = Please update ippun to the latest version.
    .helpdesk = ippun extension. The data format is newer than this app understands; the data is left untouched. Check the app version in the diagnostics.

error-A918 = This display name cannot be used.
    .remedy = Choose a name that no other token uses, up to 20 characters, without spaces at the start or end.
    .helpdesk = ippun extension. Display names must stay unique so that each token can be told apart.

error-A919 = This token has expired and its codes are no longer accepted.
    .remedy = Delete this token, then set up a new one with the details your bank sends you.
    .helpdesk = ippun extension. The expiry date has passed on the device clock. If the date looks wrong, check the device clock first.

error-A912 = The lock code must be 1 to 32 digits.
    .remedy = Enter digits only (0–9), at least one and at most 32.
    .helpdesk = ippun extension. Checked in the app; nothing was changed.

error-A913 = The two lock codes you entered do not match.
    .remedy = Enter the same new lock code in both fields.
    .helpdesk = ippun extension. Checked in the app; nothing was changed.

error-A994 = The system keyring that protects your tokens cannot be reached.
    .remedy = Sign in to your computer again or unlock the keyring, then start ippun again.
    .helpdesk = ippun extension. The device key is kept in the OS keyring (Secret Service, Keychain or Credential Manager), which did not answer. The token data is untouched.

error-A993 = The token data could not be read or saved.
    .remedy = Check that the disk is not full and that you may write to your own folders, then try again.
    .helpdesk = ippun extension. A file-system error (disk full, permissions, removed drive). The previous data is left as it was.

error-A9EX = The app ran out of memory.
    .remedy = Close other apps and start ippun again.
    .helpdesk = Out of memory. If it happens on a normal machine, send the diagnostics to the developers.

error-A999 = An unexpected error occurred.
    .remedy = Please restart the app and try again. If it happens again, contact your bank with the diagnostics.
    .helpdesk = An error the catalogue does not cover. Ask for the copied diagnostics and pass them on to the developers.

## Command line


## Command line: ippun explain

explain-line = { $label }: { $value }
explain-phase = Phase
explain-message = Message
explain-remedy = What to do
explain-retry = Trying again can help
explain-helpdesk = Help desk
explain-origin = Source
explain-yes = yes
explain-no = no
explain-origin-manual = bank manual
explain-origin-extension = ippun extension
explain-unknown = { $code } is not an ippun error code.
explain-did-you-mean = Did you mean: { $codes }?
explain-see-all = Run “ippun explain --all” to see every code.
explain-header-code = Code
explain-header-phase = Phase
explain-header-message = Message

## Input errors (command line and forms)

input-empty-secret = The secret is empty.
input-base32-character = The secret is not valid base32: character { $position } is not one of A–Z or 2–7 (spaces, hyphens and a trailing “=” are allowed).
input-base32-length = The secret is not valid base32: { $symbols } characters cannot make whole bytes.
input-hex = The secret is not valid hexadecimal (an even number of 0–9 and a–f).
input-digits = The number of digits must be 6, 7 or 8, not “{ $value }”.
input-period = The period must be a whole number of seconds, at least 1, not “{ $value }”.
input-algorithm = Unknown algorithm “{ $value }”. Use sha1, sha256 or sha512.
input-time = Cannot read the time “{ $value }”. Give Unix seconds (e.g. 59) or RFC 3339 (e.g. 2026-11-24T09:00:00+09:00).
input-time-before-epoch = The time “{ $value }” is before 1970-01-01T00:00:00Z.
input-counter = The counter must be a whole number from 0 to 18446744073709551615, not “{ $value }”.
input-time-out-of-range = The time is too far in the future to compute a code.
input-nothing-to-generate = Nothing to generate: give at least one time (TOTP) or counter (HOTP), and at least one secret.

## Command line: ippun vectors

vectors-summary = { $passed } passed, { $failed } failed
vectors-mismatch = MISMATCH { $name }: { $field } expected { $expected }, got { $actual }
vectors-invalid = INVALID { $name }: { $reason }
vectors-file-error = Cannot use the vectors file { $path }: { $reason }
vectors-written = Wrote { $count } vectors to { $path }.

## Command line: tokens, codes and app lock

cli-app-missing = Part of ippun is missing or cannot be started: { $path } ({ $reason }). Please install ippun again.
cli-prompt-lock-code = Lock code:
cli-prompt-new-code = New lock code:
cli-prompt-new-code-again = New lock code again:
cli-lock-wait = Please wait { $seconds } seconds before the next try.
cli-lock-set = App lock is on. If you forget the code, it cannot be recovered: the tokens must be issued again.
cli-lock-changed = The lock code has been changed.
cli-lock-off = App lock is off.
cli-lock-already-on = App lock is already on. Use “ippun lock change” to change the code.
cli-lock-already-off = App lock is not on.
cli-no-tokens = There are no tokens yet.
cli-no-such-token = There is no token named “{ $name }”. Names: { $names }
cli-which-token = There are several tokens; name one of them: { $names }
cli-delete-confirm = Delete “{ $name }”? It cannot be undone; the token would have to be issued again. Type yes to delete:
cli-delete-needs-yes = Deleting needs confirmation: add --yes.
cli-deleted = Deleted “{ $name }”.
cli-all-deleted = All tokens have been deleted.
cli-renamed = The token is now called “{ $name }”.
cli-start-over-needs-yes = Starting over needs confirmation: add --yes. The current token data is kept as a copy.
cli-started-over = The old token data was kept at { $path }. You can now set up tokens again.
cli-nothing-to-start-over = There was no token data; nothing was changed.
cli-header-name = Name
cli-header-serial = Serial
cli-header-expires = Expires
cli-header-state = State
cli-state-pending = setup not finished
cli-state-active = in use
cli-state-renewal-due = renewal open ({ $days } days left)
cli-state-expired = expired
cli-prompt-activation-password = Activation password:
cli-center-url-scheme = “{ $url }” is not a center address. It must start with https:// (http:// is allowed only for a center on this computer).
cli-center-url-plain = “{ $url }” uses plain http:// to another computer. Centers must be reached over https://.
cli-center-url-userinfo = “{ $url }” carries a user name or password. A center address has none: give it as https://host/ only.
cli-center-key-bad = The center key is not valid. It looks like ed25519: followed by 64 hexadecimal digits.
cli-center-key-unknown = No key is known for the center at { $url }. Give it with --center-key, or start the demo center, which records its key for this app.
cli-setup-complete = Setup complete: “{ $name }” (serial { $serial }, valid until { $expires }).
cli-tx-start-waiting = Your bank asks to start transaction confirmation for “{ $name }”. Run `ippun tx start` to start it.
cli-tx-none = No transactions are waiting for confirmation.
cli-tx-already-started = Transaction confirmation is already in use for “{ $name }”.
cli-tx-started = Transaction confirmation has started for “{ $name }”.
cli-tx-id = Transaction { $id }
cli-tx-approved = Approved. Confirmation code: { $code }
cli-tx-rejected = Rejected. Confirmation code: { $code }
cli-renewed = Renewal complete: “{ $name }” is now valid until { $expires }.
cli-corrected-ahead = Correction complete. This device's clock is about { $seconds } seconds ahead of the center ({ $steps } steps); the center now allows for it.
cli-corrected-behind = Correction complete. This device's clock is about { $seconds } seconds behind the center ({ $steps } steps); the center now allows for it.
cli-corrected-none = Correction complete. This device's clock agrees with the center.
cli-corrected-wait = Please wait 2–3 minutes before logging in with a new code. Setting the device clock to automatic time is the lasting fix.
cli-clock-ahead = Note: at the last contact, this device's clock was { $seconds } seconds ahead of the center. If codes are refused, set the clock to automatic time, or run the correction.
cli-clock-behind = Note: at the last contact, this device's clock was { $seconds } seconds behind the center. If codes are refused, set the clock to automatic time, or run the correction.

## Desktop window
gui-window-title = ippun — one-time password
gui-no-window = The window could not be opened ({ $reason }). The window needs a desktop session; the commands (ippun --help) work without one.
gui-demo-center = Demo center (on this computer)
gui-tab-otp = Code
gui-tab-tokens = Tokens
gui-tab-tx = Confirm
gui-busy-tx = Talking to the center about transactions…
gui-tx-title = Transaction confirmation
gui-tx-intro = Your bank may ask you to confirm a transfer here, so that nobody can change it on its way. Check for transactions when the bank's web site asks you to.
gui-tx-check = Check for transactions
gui-tx-check-again = Check again
gui-tx-start-note = Your bank asks to start transaction confirmation on this computer.
gui-tx-start = Start transaction confirmation
gui-tx-none = No transactions are waiting for confirmation.
gui-tx-review = Review
gui-tx-review-a11y = Review the transfer to { $payee } of { $amount }
gui-tx-detail-title = Confirm this transaction
gui-tx-detail-intro = Check every detail against what you entered on the bank's web site. Approve only if everything matches; otherwise reject.
gui-tx-payee = Payee
gui-tx-account = Account
gui-tx-amount = Amount
gui-tx-reference = Reference
gui-tx-expires = Answer by
gui-tx-expired-note = This transaction has expired. If the transfer is still needed, please start it again on the bank's web site.
gui-tx-approve = Approve
gui-tx-reject = Reject
gui-tx-approved-title = Approved
gui-tx-rejected-title = Rejected
gui-tx-answered = Your answer was sent to the bank.
gui-tx-code = Confirmation code: { $code }
gui-tx-code-note = The bank may ask you for this code; keep it until the transfer is done.
gui-tx-unreadable-field = (contains characters this app cannot display)
gui-tx-unreadable-note = Some details contain characters this app cannot display, so this transaction cannot be approved here. Please reject it, or contact your bank.
gui-tx-look-alike = This mixes letters of different alphabets (such as Latin and Cyrillic) that can look the same. Please check it carefully.
cli-tx-look-alike = Note: { $field } mixes letters of different alphabets that can look the same. Please check it carefully.
gui-tab-settings = Settings
gui-busy-setup = Setting up the token with the center…
gui-busy-renew = Renewing the token with the center…
gui-busy-correct = Running the password correction…
gui-cancel = Cancel
gui-back = Back
gui-next = Next
gui-save = Save
gui-close = Close
gui-continue = Continue
gui-quit = Quit
gui-copied = The code was copied. It will be cleared from the clipboard in 30 seconds.
gui-copy-failed = The code could not be copied: no clipboard is available.
gui-startup-title = ippun could not open your token data
gui-start-over-note = You can put the old data aside (it is kept as a copy in the data folder) and set up your tokens again with new activation passwords from your bank.
gui-start-over = Put the old data aside and start again
gui-lock-code = Lock code
gui-lock-wait = Too many wrong codes. Please wait { $seconds } seconds before trying again.
gui-unlock = Unlock
gui-setup-title-first = Initial setup
gui-setup-title-add = Add a token
gui-setup-intro = Enter the service ID, user ID and activation password from your bank's letter or web site.
gui-setup-center = Center
gui-setup-no-center = No authentication center is known to this app. Start it with --demo to try the demo center.
gui-demo-title = Demo center
gui-demo-intro = This window talks to a demo center on this computer. Pick a ready-made user:
gui-demo-errors = Users that show an error code
gui-service-id = Service ID
gui-user-id = User ID
gui-activation-password = Activation password
gui-consent = I agree to the terms of use of this service.
gui-send = Send
gui-setup-done-title = Setup complete
gui-setup-done = “{ $name }” is ready to use.
gui-serial = Serial number
gui-expires = Valid until
gui-suffix-title = Display name
gui-suffix-intro = The name shown for a token is the service name followed by this suffix. Leave it empty to show the service name alone.
gui-suffix = Suffix
gui-suffix-preview = Shown as: { $name }
gui-open-site = Open the service's web site
gui-logo-a11y = Logo of { $name }
gui-pending = The setup of this token was not confirmed by the center. Please finish it before using its codes.
gui-finish-setup = Finish setup
gui-code-a11y = One-time password { $code }
gui-seconds-left = { $seconds } s left
gui-next-code = Next: { $code }
gui-next-code-a11y = Next one-time password { $code }
gui-window-a11y = ippun
gui-window-a11y-token = ippun — { $name }
gui-countdown-a11y = Time left for this password: { $seconds } seconds
gui-copy = Copy (Ctrl+C)
gui-renewal-open-short = Renewal is open: { $days } days left.
gui-renew-now = Renew now
gui-clock-ahead = At the last contact, this computer's clock was { $seconds } seconds ahead of the center. If your codes are refused, set the clock to automatic time or run the password correction.
gui-clock-behind = At the last contact, this computer's clock was { $seconds } seconds behind the center. If your codes are refused, set the clock to automatic time or run the password correction.
gui-tokens-title = Tokens
gui-state-pending = setup not finished
gui-state-active = in use
gui-state-renewal = renewal open ({ $days } days left)
gui-state-expired = expired
gui-add-token = Add a token
gui-settings-title = Settings
gui-settings-token = Token
gui-delete-token = Delete a token
gui-app-lock = App lock
gui-correction = Password correction
gui-display-name = Display name
gui-about = Version and licences
gui-catalogue = Error codes
gui-language = Language
gui-delete-title = Delete a token
gui-delete-confirm = Delete “{ $name }”?
gui-delete-note = This cannot be undone. To use this service's codes again, your bank must issue the token again.
gui-delete = Delete
gui-all-deleted-title = All tokens deleted
gui-all-deleted = All tokens have been deleted. Next, you can set up a token again.
gui-lock-title = App lock
gui-lock-is-on = App lock is on: the lock code is asked for each time ippun opens.
gui-lock-is-off = App lock is off.
gui-lock-turn-on = Turn app lock on
gui-lock-turn-off = Turn app lock off
gui-lock-change = Change the lock code
gui-lock-set-intro = Choose a lock code of 1 to 32 digits and enter it twice.
gui-lock-change-intro = Enter the current lock code, then the new one twice.
gui-lock-off-intro = Enter the current lock code to turn app lock off.
gui-lock-current = Current lock code
gui-lock-new = New lock code
gui-lock-again = New lock code again
gui-lock-done-on = App lock is now on.
gui-lock-done-changed = The lock code was changed.
gui-lock-done-off = App lock is now off.
gui-autolock-intro = It also locks by itself after this long without use, when its window is minimised and when the computer's screen is locked:
gui-autolock-minutes = { $minutes } min
gui-lock-warning-title = Before you continue
gui-lock-warning-on = If you forget the lock code, it cannot be recovered: your tokens would have to be issued again by your bank. Please choose a code you will remember.
gui-lock-warning-off = With app lock off, anyone who uses this computer can open ippun and see your codes. Do you want to turn it off?
gui-correction-title = Password correction
gui-correction-intro = If your codes are refused although you typed them correctly, the clock of this computer may be off. The correction lets the center learn the difference.
gui-correction-check-clock = First check that this computer's date, time and time zone are right (automatic time is best). After a correction, please wait 2–3 minutes before logging in.
gui-correction-run = Run
gui-about-title = Version and licences
gui-about-what = One-time password token for internet banking.
gui-about-data = Data folder
gui-about-key-store = Device key kept in
gui-key-store-keyring = the system keyring
gui-key-store-file = a protected file in the data folder
gui-key-store-none = not yet created (no token yet)
gui-about-licence = Licence
gui-about-font = Font
gui-about-ofl = Font licence (SIL Open Font License 1.1)
gui-about-crates = ippun is built on open-source Rust libraries (egui, eframe, totp-rs, RustCrypto, rustls, axum, sqlx and others), each under its own licence (MIT, Apache-2.0 or similar).
gui-catalogue-title = Error codes
gui-catalogue-search = Search (code or words)
gui-catalogue-phase = When
gui-catalogue-remedy = What to do
gui-catalogue-helpdesk = For the help desk
gui-catalogue-none = No code matches.
gui-catalogue-details = Details
gui-renewal-title = Token renewal
gui-renewal-intro = This token expires in { $days } days ({ $date }). Renew it now to keep using it.
gui-remind-later = Remind me later
gui-renewed-title = Renewal complete
gui-renewed = “{ $name }” is now valid until { $date }.
gui-expired-title = Token expired
gui-expired = “{ $name }” expired on { $date }.
gui-expired-only = Its codes are no longer accepted. Please set up a token again with a new activation password from your bank.
gui-expired-several = Its codes are no longer accepted. Please delete it; your other tokens are not affected.
gui-expired-ok = OK
gui-expired-delete = Delete this token
gui-error-title = Something went wrong
gui-copy-diagnostics = Copy diagnostics
gui-diagnostics-copied = Diagnostics copied (no secrets are included).
