"""Texts of the funder pages: competitions, panels, rankings, awards, the portfolio dashboard and
its charts, and practices."""

MESSAGES = {
    # ---- states of competitions and panels (macros.state) ----
    "state.competition.STATE_DRAFT": ("draft", "черновик"),
    "state.competition.STATE_OPEN": ("open", "приём заявок"),
    "state.competition.STATE_CLOSED": ("closed", "приём завершён"),
    "state.competition.STATE_DECIDED": ("decided", "итоги подведены"),
    "state.competition.STATE_ARCHIVED": ("archived", "в архиве"),
    "state.panel.STATE_COLLECTING": ("collecting applications", "идёт приём заявок"),
    "state.panel.STATE_SCORING": ("scoring", "идёт экспертиза"),
    "state.panel.STATE_CLOSED": ("scoring closed", "экспертиза завершена"),
    "state.panel.STATE_DECIDED": ("awards decided", "гранты распределены"),
    # ---- words used on several pages ----
    "funder.back": ("All competitions", "Все конкурсы"),
    "funder.competition": ("Competition", "Конкурс"),
    "funder.state": ("State", "Состояние"),
    "funder.opens": ("Opens", "Начало приёма"),
    "funder.closes": ("Closes", "Окончание приёма"),
    "funder.announced_in": ("announced in {zone}", "объявлено по времени {zone}"),
    "funder.budget": ("Budget", "Бюджет"),
    "funder.budget_used": ("Awarded", "Распределено"),
    "funder.budget_left": ("Left of the budget", "Остаток бюджета"),
    "funder.applications": ("Applications", "Заявки"),
    "funder.application": ("Application", "Заявка"),
    "funder.panel": ("Expert panel", "Экспертный совет"),
    "funder.grant_range": ("Grant size", "Размер гранта"),
    "funder.directions": ("Directions", "Грантовые направления"),
    "funder.direction": ("Direction", "Направление"),
    "funder.region": ("Region", "Регион"),
    "funder.expert": ("Expert", "Эксперт"),
    "funder.experts": ("Experts", "Экспертов"),
    "funder.experts_each": ("Experts per application", "Экспертов на заявку"),
    "funder.experts_most": (
        "up to {count} when scores diverge",
        "до {count} при расхождении оценок",
    ),
    "funder.decided_by": ("Ranked by", "Рейтинг по"),
    "funder.by_raw": ("experts' own scores", "исходным баллам экспертов"),
    "funder.by_calibrated": ("calibrated scores", "откалиброванным баллам"),
    "funder.scores_due": ("Scores due", "Срок экспертизы"),
    "funder.due.title": ("When scores are due", "Срок экспертизы"),
    "funder.due.date": ("Scores due by (inclusive)", "Оценки принимаются до (включительно)"),
    "funder.due.hint": (
        "Experts see it on their assignments; the end of that day in {zone}. Scores are still "
        "accepted until scoring is closed. Leave empty to remove the date.",
        "Эксперты увидят срок в своих назначениях; это конец дня по времени {zone}. Оценки "
        "принимаются до закрытия экспертизы. Оставьте пустым, чтобы убрать срок.",
    ),
    "funder.due.submit": ("Set the date", "Установить срок"),
    "funder.rank": ("Rank", "Место"),
    "funder.requested": ("Requested", "Запрошено"),
    "funder.awarded": ("Awarded", "Грант"),
    "funder.score": ("Score", "Балл"),
    "funder.raw_score": ("Raw score", "Исходный балл"),
    "funder.calibrated_score": ("Calibrated score", "Откалиброванный балл"),
    "funder.marks": ("Marks", "Отметки"),
    "funder.outcome": ("Outcome", "Итог"),
    "funder.reason": ("Why", "Причина"),
    "funder.month": ("Month", "Месяц"),
    "funder.tabs": ("Pages of {title}", "Страницы конкурса «{title}»"),
    "funder.tab.overview": ("Overview", "Обзор"),
    "funder.tab.ranking": ("Ranking", "Рейтинг"),
    "funder.tab.awards": ("Awards", "Гранты"),
    # ---- the competitions list ----
    "funder.competitions.title": ("Competitions", "Конкурсы"),
    "funder.competitions.intro": (
        "The competitions you run. New competitions are created from a competition file with "
        "the grantflow command.",
        "Конкурсы, которые вы проводите. Новый конкурс создаётся из файла конкурса командой "
        "grantflow.",
    ),
    "funder.competitions.caption": ("Your competitions: {count}", "Ваши конкурсы: {count}"),
    "funder.competitions.empty": (
        "You run no competitions yet.",
        "Вы пока не проводите ни одного конкурса.",
    ),
    # ---- one competition and its steps ----
    "funder.no_panel": (
        "The expert panel is not available yet: scoring learns of a competition when it opens.",
        "Экспертный совет пока недоступен: он создаётся, когда конкурс открывается.",
    ),
    "funder.steps": ("Next steps", "Следующие шаги"),
    "funder.steps_none": (
        "Nothing to do here until scoring opens.",
        "До начала экспертизы здесь ничего делать не нужно.",
    ),
    "funder.see_awards": ("See the awards", "Посмотреть гранты"),
    "funder.open.title": ("Open for applications", "Открыть приём заявок"),
    "funder.open.explain": (
        "The competition is announced and applicants can apply until it closes. Its terms "
        "cannot be changed after that.",
        "Конкурс будет объявлен, и заявители смогут подавать заявки до окончания приёма. "
        "После этого условия конкурса изменить нельзя.",
    ),
    "funder.open.submit": ("Open the competition", "Открыть конкурс"),
    "funder.close.title": ("Close now", "Завершить приём сейчас"),
    "funder.close.reason": ("Why it closes early", "Причина досрочного завершения"),
    "funder.close.hint": (
        "Required before the announced deadline: applicants planned for it.",
        "Обязательно до объявленного срока: заявители рассчитывали на него.",
    ),
    "funder.close.submit": ("Close the competition", "Завершить приём заявок"),
    "funder.assign.title": ("Assign experts", "Назначить экспертов"),
    "funder.assign.explain": (
        "Gives every submitted application the experts it still needs, avoiding conflicts of "
        "interest and overloads. Assignments already made stay.",
        "Назначает каждой поданной заявке недостающих экспертов без конфликта интересов и "
        "перегрузки. Сделанные назначения сохраняются.",
    ),
    "funder.assign.submit": ("Assign experts", "Назначить экспертов"),
    "funder.assigned.result": (
        "Assignments made: {assigned}. Applications with all their experts: {complete}.",
        "Сделано назначений: {assigned}. Заявок со всеми экспертами: {complete}.",
    ),
    "funder.assigned.short_caption": (
        "Applications still short of experts: {count}",
        "Заявки, которым не хватает экспертов: {count}",
    ),
    "funder.assigned.missing": ("Experts missing", "Не хватает экспертов"),
    "funder.assigned.why": ("Why", "Причина"),
    "funder.short.cause_no_expert_for_direction": (
        "No active expert covers {direction}.",
        "Нет активных экспертов по направлению «{direction}».",
    ),
    "funder.short.cause_too_few_without_conflict": (
        "Experts covering {direction}: {covering}; of them free of a conflict with this "
        "application and not already reviewing it: {eligible}; needed: {needed}.",
        "Экспертов по направлению «{direction}»: {covering}; из них без конфликта интересов с "
        "этой заявкой и ещё не рецензирующих её: {eligible}; нужно: {needed}.",
    ),
    "funder.short.cause_all_at_load_limit": (
        "Every expert covering {direction} without a conflict with this application is at their "
        "load limit.",
        "Все эксперты по направлению «{direction}» без конфликта интересов с этой заявкой "
        "достигли предельной нагрузки.",
    ),
    "funder.short.cause_too_few_with_room": (
        "Experts covering {direction} without a conflict: {eligible}; of them with room left "
        "under their load limit: {room}; needed: {needed}.",
        "Экспертов по направлению «{direction}» без конфликта интересов: {eligible}; из них с "
        "запасом нагрузки: {room}; нужно: {needed}.",
    ),
    "funder.short.cause_load_spread_too_thin": (
        "The experts covering {direction} who could review it ({room}) have too little load "
        "left for every application that needs them: raise their load limits or add experts "
        "for this direction.",
        "У экспертов по направлению «{direction}», которые могли бы рецензировать заявку ({room}), "
        "не хватает нагрузки на все заявки, которым они нужны: увеличьте их предельную нагрузку "
        "или добавьте экспертов по этому направлению.",
    ),
    "funder.close_scoring.title": ("Close scoring", "Завершить экспертизу"),
    "funder.close_scoring.explain": (
        "No scores or revisions are taken after this; the ranking becomes final.",
        "После этого оценки и их изменения не принимаются; рейтинг становится окончательным.",
    ),
    "funder.close_scoring.submit": ("Close scoring", "Завершить экспертизу"),
    "funder.decide.title": ("Decide the awards", "Распределить гранты"),
    "funder.decide.explain": (
        "Applications at or above their pass mark are funded in rank order while the budget "
        "and direction quotas last. The decision is recorded once and cannot be undone.",
        "Заявки, набравшие проходной балл, получают гранты в порядке рейтинга, пока хватает "
        "бюджета и квот направлений. Решение фиксируется один раз, отменить его нельзя.",
    ),
    "funder.decide.confirm": (
        "I understand that the decision is final",
        "Я понимаю, что решение окончательное",
    ),
    "funder.decide.unconfirmed": (
        "Confirm that the decision is final before deciding.",
        "Подтвердите, что решение окончательное.",
    ),
    "funder.decide.submit": ("Decide the awards", "Распределить гранты"),
    "funder.done.opened": ("The competition is open.", "Приём заявок открыт."),
    "funder.done.closed": (
        "The competition is closed. Scoring opens as soon as the panel learns of it.",
        "Приём заявок завершён. Экспертиза начнётся, как только совет получит об этом известие.",
    ),
    "funder.done.scoring_closed": (
        "Scoring is closed. The awards can be decided now.",
        "Экспертиза завершена. Теперь можно распределить гранты.",
    ),
    "funder.done.due_set": ("The scoring deadline is saved.", "Срок экспертизы сохранён."),
    "funder.done.decided": ("The awards are decided.", "Гранты распределены."),
    # ---- expert coverage ----
    "funder.coverage.title": ("Expert coverage", "Обеспеченность экспертами"),
    "funder.coverage.applications": ("applications to review", "заявок на экспертизе"),
    "funder.coverage.full": (
        "with all {count} experts",
        "со всеми экспертами ({count})",
    ),
    "funder.coverage.partial": ("with some of their experts", "с частью экспертов"),
    "funder.coverage.none": ("with no expert yet", "пока без экспертов"),
    "funder.coverage.scored": ("reviews scored", "оценок выставлено"),
    "funder.coverage.pending": ("reviews pending", "оценок ожидается"),
    "funder.coverage.short_caption": (
        "Applications short of experts: {count}",
        "Заявки, которым не хватает экспертов: {count}",
    ),
    "funder.coverage.have": ("Experts", "Назначено"),
    "funder.coverage.need": ("Needed", "Нужно"),
    "funder.coverage.load_caption": ("Load per expert", "Нагрузка экспертов"),
    "funder.coverage.assigned": ("Assigned", "Назначено"),
    "funder.coverage.scored_short": ("Scored", "Оценено"),
    "funder.coverage.pending_short": ("Pending", "Ожидает"),
    "funder.coverage.max_load": ("Most at once", "Предельная нагрузка"),
    "funder.coverage.no_assignments": (
        "No expert is assigned yet.",
        "Эксперты пока не назначены.",
    ),
    # ---- the ranking ----
    "funder.ranking.title": ("Ranking: {title}", "Рейтинг: {title}"),
    "funder.ranking.by_raw": (
        "Ranked by the experts' own scores; calibrated scores are shown beside them.",
        "Рейтинг построен по исходным баллам экспертов; откалиброванные баллы показаны рядом.",
    ),
    "funder.ranking.by_calibrated": (
        "Ranked by calibrated scores (each expert's scores normalised); raw scores are shown "
        "beside them.",
        "Рейтинг построен по откалиброванным баллам (оценки каждого эксперта нормированы); "
        "исходные баллы показаны рядом.",
    ),
    "funder.ranking.caption": ("Ranked applications: {count}", "Заявки в рейтинге: {count}"),
    "funder.ranking.empty": (
        "Nothing is ranked yet: no expert has scored an application.",
        "Рейтинга пока нет: эксперты ещё не оценили ни одной заявки.",
    ),
    "funder.ranking.funded_count": ("applications funded", "заявок поддержано"),
    "funder.ranking.would_fund_count": (
        "applications a decision now would fund",
        "заявок получили бы грант при решении сейчас",
    ),
    "funder.ranking.projected_note": (
        "Not decided yet: the outcomes show what deciding now would give, by the same rule "
        "the decision uses (pass marks, budget, direction quotas, in rank order).",
        "Решение ещё не принято: итоги показывают, что дало бы распределение сейчас по тем же "
        "правилам (проходные баллы, бюджет, квоты направлений, порядок рейтинга).",
    ),
    "funder.ranking.decided_note": (
        "Decided: the outcomes are the recorded decision.",
        "Решение принято: итоги соответствуют зафиксированному решению.",
    ),
    "funder.ranking.no_projection": (
        "The outcomes cannot be worked out yet: a score the panel decides by is missing.",
        "Итоги пока нельзя рассчитать: не хватает баллов, по которым решает совет.",
    ),
    "funder.ranking.cut_off": ("The budget runs out here.", "Здесь заканчивается бюджет."),
    "funder.ranking.cut_off_left": (
        "{left} is left; smaller requests further down may still fit.",
        "Остаётся {left}; меньшие запросы ниже ещё могут поместиться.",
    ),
    "funder.mark.diverged": ("scores diverge", "оценки расходятся"),
    "funder.mark.incomplete": ("not all scored", "оценены не всеми"),
    "funder.outcome.funded": ("funded: {amount}", "грант: {amount}"),
    "funder.outcome.would_fund": ("within the budget", "в пределах бюджета"),
    "funder.outcome.not_funded": ("not funded", "без гранта"),
    "funder.reason.pass_mark": (
        "below the pass mark of {mark} for its request size",
        "ниже проходного балла {mark} для запрошенной суммы",
    ),
    "funder.reason.budget": ("the budget ran out", "бюджет исчерпан"),
    "funder.reason.quota": (
        "the quota of direction {direction} ran out",
        "исчерпана квота направления {direction}",
    ),
    "funder.reason.unscored": ("no expert scored it", "ни один эксперт её не оценил"),
    "funder.download.ranking_csv": ("Ranking as CSV", "Рейтинг в CSV"),
    "funder.download.ranking_xlsx": ("Ranking as Excel", "Рейтинг в Excel"),
    "funder.download.awards_csv": ("Awards as CSV", "Гранты в CSV"),
    "funder.download.awards_xlsx": ("Awards as Excel", "Гранты в Excel"),
    # ---- awards ----
    "funder.awards.title": ("Awards: {title}", "Гранты: {title}"),
    "funder.awards.not_decided": (
        "The awards are not decided yet.",
        "Гранты ещё не распределены.",
    ),
    "funder.awards.see_ranking": (
        "See the ranking and who a decision now would fund",
        "Посмотреть рейтинг и итоги распределения на сегодня",
    ),
    "funder.awards.decided": ("Decided {when} by {who}.", "Решение принято {when}, {who}."),
    "funder.awards.count": ("awards", "грантов"),
    "funder.awards.funded": ("Funded", "Поддержаны"),
    "funder.awards.funded_caption": ("Awards: {count}", "Гранты: {count}"),
    "funder.awards.none_funded": ("No application was funded.", "Ни одна заявка не поддержана."),
    "funder.awards.declined": ("Not funded", "Не поддержаны"),
    "funder.awards.declined_caption": (
        "Applications not funded: {count}",
        "Заявки без гранта: {count}",
    ),
    "funder.awards.none_declined": (
        "Every ranked application was funded.",
        "Все заявки из рейтинга поддержаны.",
    ),
    # ---- the portfolio ----
    "funder.portfolio.title": ("Portfolio", "Портфель проектов"),
    "funder.portfolio.intro": (
        "Your funded projects: how far they reach their targets, how much co-financing they "
        "draw, how sustainable their organisations are, and the alerts they raise.",
        "Поддержанные вами проекты: насколько достигнуты целевые значения, сколько "
        "софинансирования привлечено, насколько устойчивы организации и какие возникают "
        "сигналы.",
    ),
    "funder.portfolio.agreements": ("Agreements", "Соглашений"),
    "funder.portfolio.awarded": ("Granted", "Сумма грантов"),
    "funder.portfolio.committed": ("Co-financing committed", "Софинансирование обещано"),
    "funder.portfolio.received": ("Co-financing received", "Софинансирование получено"),
    "funder.portfolio.leverage": ("Leverage per rouble", "Софинансирование на рубль гранта"),
    "funder.portfolio.beneficiaries": ("People reached", "Охвачено людей"),
    "funder.portfolio.open_alerts": ("Open alerts", "Открытых сигналов"),
    "funder.portfolio.bucket": ("Target attainment", "Достижение целей"),
    "funder.portfolio.raised": ("Alerts raised", "Сигналов"),
    "funder.portfolio.critical": ("Of which critical", "Из них критичных"),
    "funder.portfolio.by_competition": ("By competition", "По конкурсам"),
    "funder.portfolio.by_competition_caption": (
        "Agreements, money and reach by competition",
        "Соглашения, средства и охват по конкурсам",
    ),
    "funder.portfolio.empty": ("No agreements yet.", "Соглашений пока нет."),
    "funder.attainment.below_50": ("under 50 %", "менее 50 %"),
    "funder.attainment.50_80": ("50–80 %", "50–80 %"),
    "funder.attainment.80_100": ("80–100 %", "80–100 %"),
    "funder.attainment.100_plus": ("100 % and more", "100 % и более"),
    "funder.attainment.unknown": ("no accepted values yet", "нет принятых значений"),
    "funder.risk.green": ("low", "низкий"),
    "funder.risk.amber": ("medium", "средний"),
    "funder.risk.red": ("high", "высокий"),
    "funder.risk.unknown": ("not assessed", "не оценён"),
    "chart.empty": ("No data yet", "Данных пока нет"),
    "chart.attainment.title": (
        "Agreements by target attainment",
        "Соглашения по степени достижения целей",
    ),
    "chart.attainment.table": (
        "Agreements by target attainment, in numbers",
        "Соглашения по степени достижения целей, в числах",
    ),
    "chart.leverage.title": (
        "Co-financing leverage by direction (roubles committed per rouble of grant)",
        "Софинансирование по направлениям (рублей на рубль гранта)",
    ),
    "chart.leverage.committed": ("Committed", "Обещано"),
    "chart.leverage.ratio": ("Per rouble", "На рубль гранта"),
    "chart.leverage.table": (
        "Co-financing by direction, in numbers",
        "Софинансирование по направлениям, в числах",
    ),
    "chart.risk.title": (
        "Sustainability risk of grantees by region",
        "Риск финансовой устойчивости грантополучателей по регионам",
    ),
    "chart.risk.table": (
        "Agreements by region and risk level (deeper shading: a larger share of the region)",
        "Соглашения по регионам и уровню риска (чем темнее, тем больше доля в регионе)",
    ),
    "chart.alerts.title": ("Alerts raised per month", "Сигналы по месяцам"),
    "chart.alerts.table": (
        "Alerts raised per month, open and resolved ({resolved} resolved)",
        "Сигналы по месяцам, открытые и снятые (снято: {resolved})",
    ),
    # ---- practices ----
    "funder.practices.title": ("Practices", "Практики"),
    "funder.practices.intro": (
        "Practices that worked, registered from funded projects, and where other "
        "organisations took them up.",
        "Успешные практики из поддержанных проектов и регионы, где их переняли другие организации.",
    ),
    "funder.practices.spread": ("Where practices spread", "Где распространились практики"),
    "funder.practices.spread_caption": (
        "Adoptions by region",
        "Внедрения по регионам",
    ),
    "funder.practices.adoptions": ("Adoptions", "Внедрений"),
    "funder.practices.count": ("Practices", "Практик"),
    "funder.practices.no_adoptions": (
        "No practice has been adopted elsewhere yet.",
        "Пока ни одна практика не внедрена в других регионах.",
    ),
    "funder.practices.registered": ("Registered practices", "Зарегистрированные практики"),
    "funder.practices.none": ("No practice is registered yet.", "Практик пока нет."),
    "funder.practices.origin": ("Region of origin", "Регион происхождения"),
    "funder.practices.spread_to": ("Adopted in", "Внедрена в регионах"),
    "funder.practices.nowhere_yet": ("nowhere else yet", "пока нигде"),
    "funder.practices.registered_on": ("Registered", "Зарегистрирована"),
    "funder.practices.models": (
        "Roadmap, organisational and financial model",
        "Дорожная карта, организационная и финансовая модель",
    ),
    "funder.practices.roadmap": ("Roadmap", "Дорожная карта"),
    "funder.practices.organisational": ("Organisational model", "Организационная модель"),
    "funder.practices.financial": ("Financial model", "Финансовая модель"),
    "funder.practices.adoptions_caption": (
        "Who adopted {title}",
        "Кто внедрил практику «{title}»",
    ),
    "funder.practices.organisation": ("Organisation", "Организация"),
    "funder.practices.adopted_on": ("Adopted", "Дата внедрения"),
    "funder.practices.results": ("Results", "Результаты"),
    "funder.practices.candidates": ("Candidates", "Кандидаты в практики"),
    "funder.practices.candidates_intro": (
        "Funded projects of your decided competitions that met their targets and stay "
        "sustainable, not yet registered as practices.",
        "Проекты ваших завершённых конкурсов, которые достигли целей и остаются устойчивыми, "
        "но ещё не зарегистрированы как практики.",
    ),
    "funder.practices.candidates_caption": (
        "Candidates from {title}",
        "Кандидаты конкурса «{title}»",
    ),
    "funder.practices.no_candidates": (
        "No candidates yet.",
        "Кандидатов пока нет.",
    ),
}
