"""Texts of the expert area: assignments, the score sheet, the expert's own score, conflicts."""

MESSAGES = {
    # The list of assignments
    "expert.list.title": ("Your assignments", "Ваши назначения"),
    "expert.list.intro": (
        "Applications you are asked to score, by competition. Scores are due by each "
        "competition's scoring deadline; the applications still waiting for you come first.",
        "Заявки, которые вам поручено оценить, по конкурсам. Оценки нужно выставить до срока "
        "экспертизы конкурса; заявки, которые ещё ждут вашей оценки, — вверху списка.",
    ),
    "expert.list.none": (
        "You have no assignments yet. They appear here once a competition closes and its fund "
        "assigns the applications to experts.",
        "Назначений пока нет. Они появятся здесь, когда приём заявок на конкурс закончится и "
        "фонд распределит заявки между экспертами.",
    ),
    "expert.list.caption_due": (
        "Applications to score by {due}",
        "Заявки на оценку до {due}",
    ),
    "expert.list.caption_no_due": (
        "Applications to score; no deadline set yet",
        "Заявки на оценку; срок пока не установлен",
    ),
    "expert.list.hidden": ("Application not shown", "Заявка не показывается"),
    "expert.count.pending": ("To score", "Ждут оценки"),
    "expert.count.overdue": ("Overdue", "Просрочены"),
    "expert.count.scored": ("Scored", "Оценены"),
    "expert.col.application": ("Application", "Заявка"),
    "expert.col.organisation": ("Organisation", "Организация"),
    "expert.col.direction": ("Direction", "Направление"),
    "expert.col.regions": ("Regions", "Регионы"),
    "expert.col.requested": ("Requested", "Запрошено"),
    "expert.col.due": ("Due", "Срок"),
    "expert.col.state": ("State", "Статус"),
    "expert.col.criterion": ("Criterion", "Критерий"),
    "expert.col.weight": ("Weight", "Вес"),
    "expert.col.score": ("Score", "Балл"),
    "expert.col.comment": ("Comment", "Комментарий"),
    "expert.state.STATE_PENDING": ("to score", "ждёт оценки"),
    "expert.state.STATE_SCORED": ("scored", "оценена"),
    "expert.state.STATE_CANCELLED": ("cancelled", "отменено"),
    "expert.overdue": ("Overdue", "Просрочено"),
    "expert.extra": ("additional expert", "дополнительный эксперт"),
    # One assignment
    "expert.not_found": (
        "You have no assignment of this application.",
        "Эта заявка вам не назначена.",
    ),
    "expert.assignment.back": ("← All assignments", "← Все назначения"),
    "expert.assignment.cancelled_title": ("Assignment cancelled", "Назначение отменено"),
    "expert.assignment.cancelled": (
        "This assignment is cancelled: a conflict of interest was declared or the applicant "
        "withdrew the application. Its content is no longer shown and it cannot be scored.",
        "Назначение отменено: заявлен конфликт интересов или заявитель отозвал заявку. "
        "Её содержание больше не показывается, оценить её нельзя.",
    ),
    "expert.assignment.application": ("The application", "Заявка"),
    "expert.field.competition": ("Competition", "Конкурс"),
    "expert.field.assigned": ("Assigned", "Назначена"),
    "expert.field.due": ("Scores due", "Срок оценки"),
    "expert.field.no_due": ("No deadline set yet", "Срок пока не установлен"),
    "expert.field.organisation_region": ("Organisation's region", "Регион организации"),
    "expert.field.regions": ("Where the project runs", "География проекта"),
    "expert.field.requested": ("Grant requested", "Запрашиваемая сумма гранта"),
    "expert.field.cofinancing": ("Co-financing", "Софинансирование"),
    "expert.field.summary": ("Summary", "Краткое описание"),
    # The score sheet
    "expert.sheet.heading": ("Score the application", "Оценка заявки"),
    "expert.sheet.revise_heading": ("Revise your score", "Изменение оценки"),
    "expert.sheet.intro": (
        "Score every criterion. Scoring is blind: no other expert sees your score, and you see "
        "nobody else's.",
        "Оцените заявку по каждому критерию. Экспертиза независимая: другие эксперты не видят "
        "вашу оценку, а вы — их.",
    ),
    "expert.sheet.best": (
        "The highest weighted total is {best}.",
        "Наибольшая взвешенная сумма — {best}.",
    ),
    "expert.sheet.weight": (
        "Weight {weight}; a score from {min} to {max}.",
        "Вес {weight}; балл от {min} до {max}.",
    ),
    "expert.sheet.score": ("Score", "Балл"),
    "expert.sheet.choose": ("Choose a score", "Выберите балл"),
    "expert.sheet.comment": ("Comment", "Комментарий"),
    "expert.sheet.score_of": ("Score for “{criterion}”", "Балл по критерию «{criterion}»"),
    "expert.sheet.comment_of": (
        "Comment on “{criterion}”",
        "Комментарий к критерию «{criterion}»",
    ),
    "expert.comment.optional": ("A comment is optional.", "Комментарий необязателен."),
    "expert.comment.always": (
        "A comment is required for any score.",
        "Комментарий обязателен при любом балле.",
    ),
    "expert.comment.for": (
        "A comment is required for a score of {values}.",
        "Комментарий обязателен при балле {values}.",
    ),
    "expert.and": (" and ", " и "),
    "expert.sheet.reason": ("Why you are changing the score", "Причина изменения оценки"),
    "expert.sheet.reason_hint": (
        "Required for a revision. It is kept in the audit log with the old and new score.",
        "Обязательна при изменении. Сохраняется в журнале аудита вместе с прежней и новой оценкой.",
    ),
    "expert.sheet.submit": ("Submit the score", "Отправить оценку"),
    "expert.sheet.submit_revision": ("Submit the revised score", "Отправить изменённую оценку"),
    "expert.sheet.revise": ("Revise the score", "Изменить оценку"),
    "expert.sheet.submitted": ("Your score is submitted.", "Ваша оценка отправлена."),
    "expert.sheet.rubric_changed": (
        "The criteria changed after you opened the form. Check your scores against them and "
        "submit again.",
        "Критерии оценки изменились, пока форма была открыта. Проверьте баллы и отправьте "
        "оценку ещё раз.",
    ),
    # The expert's own score
    "expert.score.heading": ("Your score", "Ваша оценка"),
    "expert.score.caption": (
        "Revision {revision}, submitted {time}",
        "Редакция {revision}, отправлена {time}",
    ),
    "expert.score.total": (
        "Weighted total: {total} of {best}.",
        "Взвешенная сумма: {total} из {best}.",
    ),
    # Conflict of interest
    "expert.conflict.heading": ("Conflict of interest", "Конфликт интересов"),
    "expert.conflict.intro": (
        "If you are connected to this applicant or its partners (you work for them, advise them "
        "or are related to their people), declare a conflict of interest. The assignment ends at "
        "once: the application is no longer shown to you, you cannot score it, and it will not "
        "be assigned to you again. This cannot be undone.",
        "Если вы связаны с заявителем или его партнёрами (работаете у них, консультируете их "
        "или состоите в родстве с их сотрудниками), заявите о конфликте интересов. Назначение "
        "сразу прекратится: заявка перестанет вам показываться, вы не сможете её оценить, и её "
        "больше вам не назначат. Отменить заявление нельзя.",
    ),
    "expert.conflict.reason": (
        "What connects you to the applicant",
        "Что связывает вас с заявителем",
    ),
    "expert.conflict.reason_hint": (
        "Kept with your declaration in the fund's records.",
        "Сохраняется вместе с заявлением в документах фонда.",
    ),
    "expert.conflict.submit": ("Declare a conflict of interest", "Заявить о конфликте интересов"),
    "expert.conflict.declared": (
        "Conflict of interest declared. The assignment is cancelled and the application is no "
        "longer shown to you.",
        "Конфликт интересов заявлен. Назначение отменено, заявка вам больше не показывается.",
    ),
    # Why a form was refused
    "expert.error.value_required": ("Choose a score.", "Выберите балл."),
    "expert.error.value_range": (
        "Choose a score from {min} to {max}.",
        "Выберите балл от {min} до {max}.",
    ),
    "expert.error.comment_required": (
        "A score of {value} must be justified: write a comment.",
        "Балл {value} нужно обосновать: напишите комментарий.",
    ),
    "expert.error.too_long": (
        "This is too long: at most {max} characters.",
        "Слишком длинный текст: не более {max} символов.",
    ),
    "expert.error.missing": ("Score every criterion.", "Оцените все критерии."),
    "expert.error.reason_required": (
        "Say why you are changing the score.",
        "Укажите причину изменения оценки.",
    ),
    "expert.error.panel_closed": (
        "Scoring of this competition has closed: scores and revisions are no longer accepted.",
        "Экспертиза по конкурсу завершена: оценки и их изменения больше не принимаются.",
    ),
    "expert.error.conflict_reason": (
        "Say what connects you to the applicant.",
        "Укажите, что связывает вас с заявителем.",
    ),
}
