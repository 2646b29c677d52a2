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

error-generic = Something went wrong, but your message is saved. Please try again or ask for an operator: /operator

cmd-start = Start over
cmd-operator = Talk to an operator

# Staff-group texts (operators), in the language set by staff_language.
staff-card-title = 🆕 <b>Request #{ $ticket }</b>
staff-card-customer = Customer: { $name } { $username } · id <code>{ $user_id }</code> · language { $language }
staff-card-reason = Reason: { $reason }
staff-card-category = Category: { $path }
staff-card-intent = Intent: { $intent } ({ $confidence })
staff-card-articles = Articles the bot showed: { $articles }
staff-card-dialog = Dialog with the bot:
staff-card-no-dialog = (no dialog with the bot)
staff-card-help = Reply in this topic and the customer gets it. /close closes the request.
staff-reason-asked_for_operator = the customer asked for an operator
staff-reason-kb_miss = the bot found no answer
staff-reason-negative_feedback = the bot's answer did not help (👎)
staff-reason-low_confidence = the bot did not understand
staff-reason-repeat_question = the customer asked again
staff-reason-failed_flow = the bot could not complete the request (order, callback)
staff-topic-name = #{ $ticket } · { $name }
staff-ticket-closed = ✅ Request #{ $ticket } closed by { $operator }.
staff-ticket-not-open = Request #{ $ticket } is already closed.
staff-rating = ⭐ Customer rating for #{ $ticket }: { $score }/5
staff-delivery-failed = ⚠️ Could not deliver the message to the customer: { $error }

# Dialogue policy (intents).
smalltalk-greet = Hello! How can I help? Ask about an order, delivery, payment or a return.
smalltalk-thanks = Glad to help! Write any time you have a question.
smalltalk-goodbye = Goodbye! I am here if you need anything.
kb-out-of-scope = I am the shop's support bot and cannot help with that. Ask about an order, delivery, payment or a return — or ask for an operator.
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

# Language.
cmd-language = Change language / Сменить язык
language-ask = Choose your language / Выберите язык:
language-set = Done, I will speak English from now on.

# Admins.
admin-kb-reloaded = 📚 Knowledge base reloaded. Articles: { $counts }.
admin-kb-broken = ⚠️ Knowledge base NOT reloaded — customers still get the previous version ({ $counts }). { $count } problem(s):
    <pre>{ $problems }</pre>
    Fix the files (the bot re-reads them by itself) or send /reload.
