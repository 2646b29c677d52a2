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
staff-card-dialog = Dialog with the bot:
staff-card-no-dialog = (no dialog with the bot)
staff-card-help = Reply in this topic and the customer gets it. /close closes the request.
staff-reason-asked_for_operator = the customer asked for an operator
staff-reason-kb_miss = the bot found no answer
staff-reason-negative_feedback = the bot's answer did not help (👎)
staff-reason-low_confidence = the bot did not understand
staff-reason-repeat_question = the customer asked again
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
