# Customer-facing texts (Russian). Keys: start-*, kb-*, handoff-*, rating-*, content-*, error-*.
start-greeting = Здравствуйте, { $name }! Я бот поддержки. Напишите вопрос своими словами — отвечу сразу, а если не смогу, подключу оператора.
    Связаться с человеком: /operator
start-greeting-ticket = Ваше обращение #{ $ticket } открыто — пишите сюда, оператор увидит сообщения.

kb-answer = <b>{ $title }</b>

    { $body }
kb-not-found = Не нашёл готового ответа. Попробуйте сформулировать иначе или позовите оператора.
kb-suggestions = Не уверен, что понял. Может быть, вы об этом?
kb-button-operator = 🙋 Позвать оператора

handoff-opened = Передал ваш вопрос оператору, обращение #{ $ticket }. Ответ придёт в этот чат — можно пока дописать подробности, оператор их увидит.
handoff-already-open = Обращение #{ $ticket } уже у оператора. Пишите сюда — всё передаётся ему.
handoff-closed = Обращение #{ $ticket } закрыто. Если вопрос останется, просто напишите снова.
handoff-unavailable = Не удалось сейчас связаться с операторами. Ваше сообщение сохранено, попробуйте ещё раз через пару минут: /operator

rating-ask = Оцените, пожалуйста, как мы помогли (1 — плохо, 5 — отлично):
rating-thanks = Спасибо за оценку { $score } из 5!
rating-already = Оценка уже сохранена, спасибо.

content-unsupported = Пока я понимаю только текст. Напишите вопрос словами — или позовите оператора, он посмотрит ваше вложение.
content-too-long = Сообщение очень длинное — я прочитал его начало. Если вопрос сложный, лучше позвать оператора.

error-generic = Что-то пошло не так с нашей стороны. Пожалуйста, отправьте сообщение ещё раз или позовите оператора: /operator

cmd-start = Начать заново
cmd-operator = Связаться с оператором

# Staff-group texts (operators), in the language set by staff_language.
staff-card-title = <b>Обращение #{ $ticket }</b>
staff-card-customer = Клиент: { $name } { $username } · id <code>{ $user_id }</code> · язык { $language }
staff-card-reason = Причина: { $reason }
staff-card-category = Категория: { $path }
staff-card-intent = Намерение: { $intent } ({ $confidence })
staff-card-articles = Бот показал статьи: { $articles }
staff-card-dialog = Диалог с ботом:
staff-card-no-dialog = (диалога с ботом не было)
staff-card-help = Ответьте в этой теме — клиент получит сообщение. «!текст» или /note — заметка для коллег. /kb статья — отправить статью. /close [решение] — закрыть, /reopen, /ban, /unban.
staff-card-help-replies = Отвечайте ответом (reply) на эту карточку или на сообщение клиента — клиент получит ответ. «!текст» или /note в ответе — заметка для коллег. /kb статья — отправить статью. /close [решение] — закрыть, /reopen, /ban, /unban.
staff-reason-asked_for_operator = клиент попросил оператора
staff-reason-kb_miss = бот не нашёл ответа
staff-reason-negative_feedback = ответ бота не помог (👎)
staff-reason-low_confidence = бот не понял вопрос
staff-reason-repeat_question = клиент повторил вопрос
staff-reason-failed_flow = бот не смог выполнить запрос (заказ, звонок)
staff-topic-name = { $icon } #{ $ticket } · { $name } · { $category }
staff-ticket-closed = ✅ Обращение #{ $ticket } закрыто: { $operator }.
staff-ticket-not-open = Обращение #{ $ticket } уже закрыто.
staff-rating = ⭐ Оценка клиента за #{ $ticket }: { $score }/5
staff-delivery-failed = ⚠️ Не удалось доставить сообщение клиенту: { $error }

# Dialogue policy (intents).
smalltalk-greet = Здравствуйте! Чем могу помочь? Спросите про заказ, доставку, оплату или возврат.
smalltalk-thanks = Рад помочь! Если появятся вопросы — пишите.
smalltalk-goodbye = Всего доброго! Если что — я здесь.
kb-out-of-scope = С этим я не помогу: это не то, о чём я знаю. Я отвечаю на вопросы о темах: { $topics } — или позовите оператора.
kb-offer-operator = Кажется, я не могу разобраться сам. Подключить оператора? Он увидит всю нашу переписку.
kb-repeat = Похоже, ответ не помог. Давайте я подключу оператора — он разберётся.
kb-feedback-up = 👍 Помогло
kb-feedback-down = 👎 Не помогло
kb-feedback-thanks = Спасибо за отзыв!
kb-feedback-sorry = Жаль, что не помогло. Подключить оператора?

# Order status.
order-ask-number = Напишите номер заказа — 5–10 цифр, например 123456.
order-bad-number = Это не похоже на номер заказа: нужны 5–10 цифр, например 123456. Или /cancel, чтобы выйти.
order-found = Заказ №{ $number }: { $status }.
order-delivery-date = Ожидаемая дата доставки: { $date }.
order-tracking = Трек-номер: { $tracking }{ $carrier }.
order-not-found = Заказ №{ $number } не найден. Проверьте номер или позовите оператора — он разберётся.
order-backend-down = Не получается проверить заказ прямо сейчас. Позвать оператора? Номер заказа я ему передам.
order-status-processing = собирается на складе
order-status-shipped = передан в доставку
order-status-in_transit = в пути
order-status-delivered = доставлен
order-status-cancelled = отменён

# Callback.
callback-ask-name = Как к вам обращаться?
callback-ask-phone = Оставьте номер телефона: нажмите «📱 Отправить мой номер» или напишите его, например +7 916 123-45-67.
callback-share-phone = 📱 Отправить мой номер
callback-bad-phone = Не получается разобрать номер. Напишите его полностью, например +7 916 123-45-67, или нажмите кнопку. /cancel — выйти.
callback-phone-noted = Записал номер { $phone }.
callback-ask-window = В какое время удобно принять звонок (по Москве)?
callback-confirmed = Готово! Позвоним на { $phone }, { $window }. Если планы изменятся — просто напишите.
cancel-done = Хорошо, отменил. Чем ещё помочь?
cancel-nothing = Отменять нечего — спрашивайте.

staff-callback-card = 📞 <b>Просят перезвонить</b>
    Имя: { $name }
    Телефон: <code>{ $phone }</code>
    Когда: { $window }
    Клиент: id <code>{ $user_id }</code> { $username }
staff-callback-done-button = ✅ Перезвонил(а)
staff-callback-done = ✅ Перезвонил(а): { $operator }
staff-card-order = Заказ: №{ $number } — { $status }
staff-order-not_found = не найден
staff-order-backend_down = сервис заказов не ответил
staff-order-no_number = номер не назван

# Language.
cmd-language = Сменить язык / Change language
language-ask = Выберите язык / Choose your language:
language-set = Готово, теперь я говорю по-русски.

# Admins.
admin-kb-reloaded = 📚 База знаний обновлена. Статей: { $counts }.
admin-kb-broken = ⚠️ База знаний НЕ обновлена — клиентам отвечает прежняя версия ({ $counts }). { $count ->
        [one] { $count } проблема
        [few] { $count } проблемы
       *[many] { $count } проблем
    }:
    <pre>{ $problems }</pre>
    Исправьте файлы — бот перечитает их сам — или пришлите /reload.

admin-kb-warnings = { $count ->
        [one] { $count } предупреждение
        [few] { $count } предупреждения
       *[many] { $count } предупреждений
    } (статьи загружены):
    <pre>{ $warnings }</pre>

# Operator desk.
staff-card-state = Статус: { $status } · приоритет: { $priority }
staff-card-assignee = Взял(а): { $name }
staff-card-sla = Ответить до: { $due }
staff-card-callback = Обратный звонок: { $details }
staff-card-previous = Прошлые обращения: { $count }, последнее { $last } — { $subjects }
staff-card-repeat = 🔁 Повторное обращение: та же тема за 7 дней
staff-status-new = 🆕 новое
staff-status-in_progress = 🟡 в работе
staff-status-closed = ✅ закрыто
staff-priority-urgent = 🔴 срочный
staff-priority-high = 🟠 высокий
staff-priority-normal = обычный
staff-priority-low = низкий
staff-topic-icon-new = 🆕
staff-topic-icon-in_progress = 🟡
staff-topic-icon-closed = ✅
staff-button-take = ✋ Взять
staff-button-close = ✅ Закрыть
staff-button-category = 🏷 Категория
staff-taken = ✋ { $operator } взял(а) обращение #{ $ticket }.
staff-already-taken = Уже взял(а): { $operator }
staff-take-done = Вы взяли обращение
staff-pick-category = Выберите категорию для #{ $ticket }:
staff-category-changed = 🏷 Категория #{ $ticket }: { $path } ({ $operator })
staff-ticket-reopened = 🔄 Обращение #{ $ticket } снова открыто: { $operator }.
staff-ticket-transferred-away = ↪️ Обращение передано в «{ $group }»: { $operator }. Причина: { $reason }. Тема закрыта, сообщения клиента теперь идут туда.
staff-ticket-transferred-here = ↪️ Передано сюда из «{ $group }»: { $operator }. Причина: { $reason }. В карточке выше — диалог до передачи.
staff-transfer-usage = Формат: /transfer ГРУППА [причина]. Группы: { $groups }
staff-transfer-same = Обращение уже в «{ $group }».
staff-transfer-closed = Обращение закрыто: сначала /reopen.
staff-transfer-auto = автоматически
staff-button-transfer = 🔀 Передать
staff-pick-group = Передать обращение #{ $ticket } в:
staff-transfer-stale = Обращения здесь уже нет.
staff-transfer-done = Передано в «{ $group }».
staff-reopen-busy = У клиента уже есть открытое обращение #{ $ticket }.
staff-ticket-closed-resolution = Решение: { $resolution }
staff-note-saved = 📝 Заметка сохранена — клиент её не видит.
staff-kb-sent = 📚 Клиенту отправлена статья «{ $title }».
staff-kb-not-found = Статья не найдена: { $query }. Пример: /kb delivery-terms или /kb возврат денег
staff-banned = 🚫 Клиент заблокирован: бот больше не принимает его сообщения.
staff-unbanned = ✅ Клиент разблокирован.
staff-not-copyable = ⚠️ Сообщение типа «{ $kind }» нельзя переслать клиенту.
staff-customer-not-copyable = ⚠️ Клиент прислал сообщение типа «{ $kind }», его нельзя показать здесь.
staff-topic-recreated = ♻️ Тема обращения была удалена — создана заново.
staff-topic-maybe-left = ⚠️ Telegram не ответил на прошлую попытку открыть тему этого обращения и мог всё же её создать: пустая тема «{ $name }» без карточки — лишняя, удалите её и отвечайте здесь.
staff-topic-unknown = ⚠️ Эта тема не связана ни с одним обращением: сообщения отсюда не доходят до клиентов.
staff-topic-linked = 🔗 Эта тема теперь у обращения #{ $ticket }: сообщения отсюда доходят до клиента.
staff-sla-warning = ⏰ До конца срока первого ответа по #{ $ticket } осталось { $minutes } мин.
staff-sla-breached = 🚨 Срок первого ответа по #{ $ticket } нарушен (был до { $due }).
staff-sla-escalated = нет первого ответа к { $due } (SLA)
staff-urgent-escalated = клиент пишет, что это срочно
admin-sla-breached = 🚨 SLA: обращение #{ $ticket } ({ $priority }) без ответа, срок был до { $due }.
admin-update-quarantined = ⚠️ Обновление { $update } не удалось обработать ({ $error }); оно отложено, остальные обрабатываются. Список: <code>python -m storage quarantine</code>; повторить после исправления: <code>python -m storage quarantine --replay { $update }</code>
staff-rating-low = ⚠️ Низкая оценка { $score }/5 по #{ $ticket } — стоит связаться с клиентом.
admin-rating-low = ⚠️ Низкая оценка { $score }/5 по обращению #{ $ticket }.
staff-rating-comment = 💬 Комментарий к оценке #{ $ticket }: { $comment }
staff-stranger = Действия с обращениями доступны только участникам группы поддержки.

# Working hours, bans, rating comments.
handoff-after-hours = Сейчас мы не работаем — ответим { $when }. Обращение уже в очереди, ничего не потеряется.
when-today = сегодня после { $time }
when-tomorrow = завтра после { $time }
when-weekday = { $day ->
    [0] в понедельник
    [1] во вторник
    [2] в среду
    [3] в четверг
    [4] в пятницу
    [5] в субботу
   *[6] в воскресенье
} после { $time }
when-date = { $date } после { $time }
handoff-banned = Ваши сообщения больше не принимаются.
rating-comment-ask = Если хотите, напишите пару слов — что понравилось или что нам улучшить. Или /cancel.
rating-comment-thanks = Спасибо, передали команде!
content-not-delivered = Это сообщение не удалось передать оператору ({ $kind }). Попробуйте текстом или фото.
handoff-not-delivered = ⚠️ Ваше сообщение не удалось передать оператору. Пожалуйста, отправьте его ещё раз чуть позже.

# Weekly statistics (admins).
cmd-stats = Статистика за неделю
stats-summary = 📊 <b>Поддержка, неделя { $week }</b>
    Обращений: { $contacts } (клиентов: { $customers })
    Бот решил сам: { $containment } · передано операторам: { $escalation }
    Первый ответ: медиана { $frt_p50 } мин, p90 { $frt_p90 } мин
    Решение: медиана { $res_p50 } ч, p90 { $res_p90 } ч
    Решено с первого обращения: { $fcr } · повторные за 7 дней: { $repeat }
    CSAT: { $csat } ({ $csat_count } { $csat_count ->
        [one] оценка
        [few] оценки
       *[many] оценок
    }) · нарушения SLA: { $sla }
    Стоимость топ-5 причин: { $cost }
stats-top = <b>Топ причин:</b>
stats-lines = По линиям (группам); передач: { $transfers }:
stats-line = • { $group }: обращений { $tickets }, первый ответ p50 { $frt_p50 } мин, нарушений SLA { $sla }
stats-alerts = ⚠️ <b>Рост за неделю:</b>
stats-bad-week = Не понял неделю { $week }. Пример: /stats 2026-W47
stats-working = Готовлю статистику за { $week }…
cmd-reload = Перечитать базу знаний
