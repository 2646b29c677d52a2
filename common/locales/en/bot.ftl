# Customer-facing texts (English). Keys: start-*, kb-*, handoff-*, rating-*, content-*, error-*.
start-greeting = Hello, { $name }! I am the support bot. Ask your question in your own words — I will answer right away, and if I cannot, I will bring in an operator.
    To talk to a person: /operator
start-greeting-ticket = Your request #{ $ticket } is open — write here and the operator will see it.

kb-answer = <b>{ $title }</b>

    { $body }
kb-not-found = I could not find a ready answer. Try rephrasing, or ask for an operator.
kb-suggestions = I am not sure I understood. Did you mean one of these?
kb-button-operator = 🙋 Talk to a person

handoff-opened = I have passed your question to an operator, request #{ $ticket }. The reply will come to this chat — feel free to add details meanwhile, the operator will see them.
handoff-already-open = Request #{ $ticket } is already with an operator. Write here — everything goes to them.
handoff-closed = Request #{ $ticket } is closed. If anything else comes up, just write again.
handoff-unavailable = I could not reach the operators right now. Your message is saved; please try again in a couple of minutes: /operator

rating-ask = Please rate how we helped (1 — poor, 5 — excellent):
rating-thanks = Thank you for rating us { $score } out of 5!
rating-already = Your rating is already saved, thank you.

content-unsupported = For now I understand only text. Describe your question in words — or ask for an operator, who can look at your attachment.
content-too-long = That is a very long message — I read its beginning. If the question is complex, an operator may help better.

error-generic = Something went wrong on our side. Please send your message again or ask for an operator: /operator

cmd-start = Start over
cmd-operator = Talk to an operator

# Staff-group texts (operators), in the language set by staff_language.
staff-card-title = <b>Request #{ $ticket }</b>
staff-card-customer = Customer: { $name } { $username } · id <code>{ $user_id }</code> · language { $language }
staff-card-reason = Reason: { $reason }
staff-card-category = Category: { $path }
staff-card-intent = Intent: { $intent } ({ $confidence })
staff-card-articles = Articles the bot showed: { $articles }
staff-card-dialog = Dialog with the bot:
staff-card-no-dialog = (no dialog with the bot)
staff-card-help = Reply in this topic and the customer gets it. "!text" or /note — a note for colleagues. /kb article — send an article. /close [resolution] — close; /reopen, /ban, /unban.
staff-card-help-replies = Reply (swipe or Reply) to this card or to a customer's message — the customer gets your answer. "!text" or /note in a reply — a note for colleagues. /kb article — send an article. /close [resolution] — close, /reopen, /ban, /unban.
staff-reason-asked_for_operator = the customer asked for an operator
staff-reason-kb_miss = the bot found no answer
staff-reason-negative_feedback = the bot's answer did not help (👎)
staff-reason-low_confidence = the bot did not understand
staff-reason-repeat_question = the customer asked again
staff-reason-failed_flow = the bot could not complete the request (order, callback)
staff-topic-name = { $icon } #{ $ticket } · { $name } · { $category }
staff-ticket-closed = ✅ Request #{ $ticket } closed by { $operator }.
staff-ticket-not-open = Request #{ $ticket } is already closed.
staff-rating = ⭐ Customer rating for #{ $ticket }: { $score }/5
staff-delivery-failed = ⚠️ Could not deliver the message to the customer: { $error }

# Dialogue policy (intents).
smalltalk-greet = Hello! How can I help? Ask about an order, delivery, payment or a return.
smalltalk-thanks = Glad to help! Write any time you have a question.
smalltalk-goodbye = Goodbye! I am here if you need anything.
kb-out-of-scope = I cannot help with that: it is not something I know about. I can answer questions about { $topics } — or ask for an operator.
kb-offer-operator = It seems I cannot sort this out myself. Shall I bring in an operator? They will see our whole conversation.
kb-repeat = It looks like the answer did not help. Let me bring in an operator to sort it out.
kb-feedback-up = 👍 Helpful
kb-feedback-down = 👎 Not helpful
kb-feedback-thanks = Thanks for the feedback!
kb-feedback-sorry = Sorry it did not help. Shall I bring in an operator?

# Order status.
order-ask-number = Please send your order number — 5 to 10 digits, e.g. 123456.
order-bad-number = That does not look like an order number: it has 5 to 10 digits, e.g. 123456. Or /cancel to leave.
order-found = Order #{ $number }: { $status }.
order-delivery-date = Expected delivery: { $date }.
order-tracking = Tracking number: { $tracking }{ $carrier }.
order-not-found = I could not find order #{ $number }. Check the number, or ask for an operator to sort it out.
order-backend-down = I cannot check orders right now. Shall I bring in an operator? I will pass on your order number.
order-status-processing = being prepared at the warehouse
order-status-shipped = handed to the carrier
order-status-in_transit = on its way
order-status-delivered = delivered
order-status-cancelled = cancelled

# Callback.
callback-ask-name = What is your name?
callback-ask-phone = Please leave a phone number: press "📱 Share my number" or type it, e.g. +44 7911 123456.
callback-share-phone = 📱 Share my number
callback-bad-phone = I cannot read that number. Type it in full, e.g. +44 7911 123456, or press the button. /cancel to leave.
callback-phone-noted = Got your number: { $phone }.
callback-ask-window = When is a good time for the call (Moscow time)?
callback-confirmed = Done! We will call { $phone }, { $window }. If your plans change, just write.
cancel-done = OK, cancelled. Anything else?
cancel-nothing = Nothing to cancel — ask away.

staff-callback-card = 📞 <b>Callback requested</b>
    Name: { $name }
    Phone: <code>{ $phone }</code>
    When: { $window }
    Customer: id <code>{ $user_id }</code> { $username }
staff-callback-done-button = ✅ Called back
staff-callback-done = ✅ Called back by { $operator }
staff-card-order = Order: #{ $number } — { $status }
staff-order-not_found = not found
staff-order-backend_down = the order service did not answer
staff-order-no_number = no number given

# Language.
cmd-language = Change language / Сменить язык
language-ask = Choose your language / Выберите язык:
language-set = Done, I will speak English from now on.

# Admins.
admin-kb-reloaded = 📚 Knowledge base reloaded. Articles: { $counts }.
admin-kb-broken = ⚠️ Knowledge base NOT reloaded — customers still get the previous version ({ $counts }). { $count ->
        [one] { $count } problem
       *[other] { $count } problems
    }:
    <pre>{ $problems }</pre>
    Fix the files (the bot re-reads them by itself) or send /reload.

admin-kb-warnings = { $count ->
        [one] { $count } warning
       *[other] { $count } warnings
    } (loaded anyway):
    <pre>{ $warnings }</pre>

# Operator desk.
staff-card-state = Status: { $status } · priority: { $priority }
staff-card-assignee = Taken by: { $name }
staff-card-sla = Reply by: { $due }
staff-card-callback = Callback: { $details }
staff-card-previous = Previous requests: { $count }, latest { $last } — { $subjects }
staff-card-repeat = 🔁 Repeat contact: same topic within 7 days
staff-status-new = 🆕 new
staff-status-in_progress = 🟡 in progress
staff-status-closed = ✅ closed
staff-priority-urgent = 🔴 urgent
staff-priority-high = 🟠 high
staff-priority-normal = normal
staff-priority-low = low
staff-topic-icon-new = 🆕
staff-topic-icon-in_progress = 🟡
staff-topic-icon-closed = ✅
staff-button-take = ✋ Take
staff-button-close = ✅ Close
staff-button-category = 🏷 Category
staff-taken = ✋ { $operator } took request #{ $ticket }.
staff-already-taken = Already taken by { $operator }
staff-take-done = You took the request
staff-pick-category = Pick the category for #{ $ticket }:
staff-category-changed = 🏷 Category of #{ $ticket }: { $path } ({ $operator })
staff-ticket-reopened = 🔄 Request #{ $ticket } reopened by { $operator }.
staff-ticket-transferred-away = ↪️ Request moved to «{ $group }» by { $operator }. Reason: { $reason }. This topic is closed; the customer's messages go there now.
staff-ticket-transferred-here = ↪️ Moved here from «{ $group }» by { $operator }. Reason: { $reason }. The card above has the dialog so far.
staff-transfer-usage = Usage: /transfer GROUP [reason]. Groups: { $groups }
staff-transfer-same = The request is already in «{ $group }».
staff-transfer-closed = The request is closed: /reopen it first.
staff-transfer-auto = automatically
staff-button-transfer = 🔀 Move
staff-pick-group = Move request #{ $ticket } to:
staff-transfer-stale = This request is no longer here.
staff-transfer-done = Moved to «{ $group }».
staff-reopen-busy = The customer already has an open request #{ $ticket }.
staff-ticket-closed-resolution = Resolution: { $resolution }
staff-note-saved = 📝 Note saved — the customer does not see it.
staff-kb-sent = 📚 Sent the article "{ $title }" to the customer.
staff-kb-not-found = No article found for: { $query }. Example: /kb delivery-terms or /kb refund
staff-banned = 🚫 Customer banned: the bot no longer accepts their messages.
staff-unbanned = ✅ Customer unbanned.
staff-not-copyable = ⚠️ A "{ $kind }" message cannot be sent to the customer.
staff-customer-not-copyable = ⚠️ The customer sent a "{ $kind }" message that cannot be shown here.
staff-topic-recreated = ♻️ The request's topic had been deleted — created it again.
staff-topic-maybe-left = ⚠️ Telegram did not answer an earlier attempt to open this request's topic, so it may have made one anyway: an empty topic «{ $name }» without a card is a leftover — delete it and answer here.
staff-topic-unknown = ⚠️ This topic belongs to no request: messages here reach no customer.
staff-topic-linked = 🔗 This topic now belongs to request #{ $ticket }: messages here reach its customer.
staff-sla-warning = ⏰ { $minutes } min left to give the first reply on #{ $ticket }.
staff-sla-breached = 🚨 First-reply target missed on #{ $ticket } (was due { $due }).
staff-sla-escalated = no first reply by { $due } (SLA)
staff-urgent-escalated = the customer wrote that it is urgent
admin-sla-breached = 🚨 SLA: request #{ $ticket } ({ $priority }) has no reply; it was due { $due }.
admin-update-quarantined = ⚠️ Update { $update } could not be handled ({ $error }); it is kept aside and the others go on. List: <code>python -m storage quarantine</code>; replay after a fix: <code>python -m storage quarantine --replay { $update }</code>
staff-rating-low = ⚠️ Low rating { $score }/5 on #{ $ticket } — worth contacting the customer.
admin-rating-low = ⚠️ Low rating { $score }/5 on request #{ $ticket }.
staff-rating-comment = 💬 Comment on the rating of #{ $ticket }: { $comment }
staff-stranger = Only members of the support group can act on requests.

# Working hours, bans, rating comments.
handoff-after-hours = We are closed right now — we will reply { $when }. Your request is in the queue; nothing will be lost.
when-today = today after { $time }
when-tomorrow = tomorrow after { $time }
when-weekday = on { $day ->
    [0] Monday
    [1] Tuesday
    [2] Wednesday
    [3] Thursday
    [4] Friday
    [5] Saturday
   *[6] Sunday
} after { $time }
when-date = on { $date } after { $time }
handoff-banned = Your messages are no longer accepted.
rating-comment-ask = If you like, write a few words — what went well or what we should improve. Or /cancel.
rating-comment-thanks = Thank you, passed on to the team!
content-not-delivered = This message could not be passed to the operator ({ $kind }). Please try text or a photo.
handoff-not-delivered = ⚠️ Your message could not be passed to the operator. Please send it again a little later.

# Weekly statistics (admins).
cmd-stats = Weekly statistics
stats-summary = 📊 <b>Support, week { $week }</b>
    Contacts: { $contacts } (customers: { $customers })
    Resolved by the bot: { $containment } · handed to operators: { $escalation }
    First reply: median { $frt_p50 } min, p90 { $frt_p90 } min
    Resolution: median { $res_p50 } h, p90 { $res_p90 } h
    First-contact resolution: { $fcr } · repeat within 7 days: { $repeat }
    CSAT: { $csat } ({ $csat_count } { $csat_count ->
        [one] rating
       *[other] ratings
    }) · SLA breaches: { $sla }
    Cost of the top-5 reasons: { $cost }
stats-top = <b>Top reasons:</b>
stats-lines = By line (staff group); { $transfers } transfers:
stats-line = • { $group }: { $tickets } requests, first reply p50 { $frt_p50 } min, { $sla } SLA breaches
stats-alerts = ⚠️ <b>Growth week over week:</b>
stats-bad-week = I did not understand the week { $week }. Example: /stats 2026-W47
stats-working = Preparing the statistics for { $week }…
cmd-reload = Reload the knowledge base
