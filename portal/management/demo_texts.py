"""The demo's words in all 16 languages: site texts, issue names and custom fields.

`portal_demo` writes them as the site's, issues' and fields' translations (Sites, Issues and
Custom fields > translations in admin), so a customer reads the demo in their own language
and an admin sees what a fully translated site looks like. "en-us" is the source the demo's
own rows are written in; it is also stored as a translation, so the demo stays complete when
an admin changes the site's default language.

The consent text is the portal's standard one (models.DEFAULT_CONSENT), and the warning is
left as the built-in default: the catalogs translate those.
"""

from __future__ import annotations

# Value codes of the urgency choice field, in the order of each language's labels below.
URGENCY_VALUES = ("low", "normal", "high")

TEXTS: dict[str, dict] = {
    "en-us": {
        "welcome_text": "Our technicians can see your screen and help you right away.",
        "consent_text": "A technician will see your screen and may control it while you watch. "
        "You can end the session at any time.",
        "notice_text": "This is a demo: no session is started. "
        "The portal shows the address it would open instead.",
        "closed_text": "Our technicians are not available right now. "
        "Please come back during our opening hours.",
        "external_key_label": "Ticket number",
        "issues": {
            "printing": ("Printing problems", "Printer offline, jobs stuck, scanning."),
            "email": ("Email and calendar", ""),
            "vpn": ("VPN and remote access", ""),
            "other": ("Something else", ""),
        },
        "fields": {
            "asset_tag": ("Asset tag", "The sticker on your computer, e.g. LT-4471."),
            "printer_model": ("Printer model", ""),
            "urgency": ("How urgent is it?", ""),
        },
        "urgency": ("I can wait", "Today please", "I cannot work"),
    },
    "de": {
        "welcome_text": "Unsere Techniker sehen Ihren Bildschirm und helfen Ihnen sofort.",
        "consent_text": "Ein Techniker sieht Ihren Bildschirm und darf ihn steuern, während Sie zusehen. "
        "Sie können die Sitzung jederzeit beenden.",
        "notice_text": "Dies ist eine Demo: Es wird keine Sitzung gestartet. "
        "Das Portal zeigt stattdessen die Adresse, die es öffnen würde.",
        "closed_text": "Unsere Techniker sind gerade nicht erreichbar. "
        "Bitte kommen Sie während unserer Öffnungszeiten wieder.",
        "external_key_label": "Ticketnummer",
        "issues": {
            "printing": ("Probleme beim Drucken", "Drucker offline, hängende Druckaufträge, Scannen."),
            "email": ("E-Mail und Kalender", ""),
            "vpn": ("VPN und Fernzugriff", ""),
            "other": ("Etwas anderes", ""),
        },
        "fields": {
            "asset_tag": ("Inventarnummer", "Der Aufkleber auf Ihrem Computer, z. B. LT-4471."),
            "printer_model": ("Druckermodell", ""),
            "urgency": ("Wie dringend ist es?", ""),
        },
        "urgency": ("Ich kann warten", "Heute bitte", "Ich kann nicht arbeiten"),
    },
    "es": {
        "welcome_text": "Nuestros técnicos pueden ver su pantalla y ayudarle de inmediato.",
        "consent_text": "Un técnico verá su pantalla y podrá controlarla mientras usted observa. "
        "Puede finalizar la sesión en cualquier momento.",
        "notice_text": "Esta es una demostración: no se inicia ninguna sesión. "
        "En su lugar, el portal muestra la dirección que abriría.",
        "closed_text": "Nuestros técnicos no están disponibles en este momento. "
        "Vuelva durante nuestro horario de atención.",
        "external_key_label": "Número de ticket",
        "issues": {
            "printing": ("Problemas de impresión", "Impresora sin conexión, trabajos atascados, escaneo."),
            "email": ("Correo electrónico y calendario", ""),
            "vpn": ("VPN y acceso remoto", ""),
            "other": ("Otro tema", ""),
        },
        "fields": {
            "asset_tag": ("Número de inventario", "La etiqueta de su computadora, p. ej., LT-4471."),
            "printer_model": ("Modelo de impresora", ""),
            "urgency": ("¿Qué tan urgente es?", ""),
        },
        "urgency": ("Puedo esperar", "Hoy, por favor", "No puedo trabajar"),
    },
    "es-sp": {
        "welcome_text": "Nuestros técnicos pueden ver su pantalla y ayudarle de inmediato.",
        "consent_text": "Un técnico verá su pantalla y podrá controlarla mientras usted observa. "
        "Puede finalizar la sesión en cualquier momento.",
        "notice_text": "Esto es una demostración: no se inicia ninguna sesión. "
        "En su lugar, el portal muestra la dirección que abriría.",
        "closed_text": "Nuestros técnicos no están disponibles en este momento. "
        "Vuelva durante nuestro horario de atención.",
        "external_key_label": "Número de incidencia",
        "issues": {
            "printing": ("Problemas de impresión", "Impresora desconectada, trabajos atascados, escaneo."),
            "email": ("Correo electrónico y calendario", ""),
            "vpn": ("VPN y acceso remoto", ""),
            "other": ("Otro tema", ""),
        },
        "fields": {
            "asset_tag": ("Número de inventario", "La etiqueta de su ordenador, p. ej., LT-4471."),
            "printer_model": ("Modelo de impresora", ""),
            "urgency": ("¿Cómo de urgente es?", ""),
        },
        "urgency": ("Puedo esperar", "Hoy, por favor", "No puedo trabajar"),
    },
    "fi": {
        "welcome_text": "Teknikkomme näkevät näyttösi ja auttavat sinua heti.",
        "consent_text": "Teknikko näkee näyttösi ja voi ohjata sitä, kun seuraat vierestä. "
        "Voit lopettaa istunnon milloin tahansa.",
        "notice_text": "Tämä on esittely: istuntoa ei aloiteta. "
        "Portaali näyttää sen sijaan osoitteen, jonka se avaisi.",
        "closed_text": "Teknikkomme eivät ole juuri nyt tavoitettavissa. "
        "Tervetuloa uudelleen aukioloaikoinamme.",
        "external_key_label": "Tukipyynnön numero",
        "issues": {
            "printing": ("Tulostusongelmat", "Tulostin ei ole yhteydessä, tulostustyöt jumissa, skannaus."),
            "email": ("Sähköposti ja kalenteri", ""),
            "vpn": ("VPN ja etäkäyttö", ""),
            "other": ("Jokin muu", ""),
        },
        "fields": {
            "asset_tag": ("Laitetunnus", "Tietokoneessasi oleva tarra, esim. LT-4471."),
            "printer_model": ("Tulostimen malli", ""),
            "urgency": ("Kuinka kiireellinen asia on?", ""),
        },
        "urgency": ("Voin odottaa", "Tänään, kiitos", "En pysty tekemään töitä"),
    },
    "fr": {
        "welcome_text": "Nos techniciens peuvent voir votre écran et vous aider immédiatement.",
        "consent_text": "Un technicien verra votre écran et pourra en prendre le contrôle sous vos yeux. "
        "Vous pouvez mettre fin à la session à tout moment.",
        "notice_text": "Ceci est une démonstration\u00a0: aucune session n’est lancée. "
        "Le portail affiche à la place l’adresse qu’il ouvrirait.",
        "closed_text": "Nos techniciens ne sont pas disponibles pour le moment. "
        "Veuillez revenir pendant nos heures d’ouverture.",
        "external_key_label": "Numéro de ticket",
        "issues": {
            "printing": ("Problèmes d’impression", "Imprimante hors ligne, travaux bloqués, numérisation."),
            "email": ("E-mail et agenda", ""),
            "vpn": ("VPN et accès à distance", ""),
            "other": ("Autre chose", ""),
        },
        "fields": {
            "asset_tag": ("Numéro d’inventaire", "L’étiquette collée sur votre ordinateur, par ex. LT-4471."),
            "printer_model": ("Modèle d’imprimante", ""),
            "urgency": ("Quelle est l’urgence\u00a0?", ""),
        },
        "urgency": ("Je peux attendre", "Aujourd’hui, s’il vous plaît", "Je ne peux pas travailler"),
    },
    "it": {
        "welcome_text": "I nostri tecnici possono vedere il Suo schermo e aiutarLa subito.",
        "consent_text": "Un tecnico vedrà il Suo schermo e potrà controllarlo mentre Lei osserva. "
        "Può terminare la sessione in qualsiasi momento.",
        "notice_text": "Questa è una demo: non viene avviata alcuna sessione. "
        "Il portale mostra invece l'indirizzo che aprirebbe.",
        "closed_text": "I nostri tecnici non sono disponibili in questo momento. "
        "Torni durante il nostro orario di apertura.",
        "external_key_label": "Numero di ticket",
        "issues": {
            "printing": ("Problemi di stampa", "Stampante offline, stampe bloccate, scansione."),
            "email": ("Email e calendario", ""),
            "vpn": ("VPN e accesso remoto", ""),
            "other": ("Altro", ""),
        },
        "fields": {
            "asset_tag": ("Numero di inventario", "L'etichetta sul Suo computer, ad es. LT-4471."),
            "printer_model": ("Modello della stampante", ""),
            "urgency": ("Quanto è urgente?", ""),
        },
        "urgency": ("Posso aspettare", "Oggi, per favore", "Non riesco a lavorare"),
    },
    "nl": {
        "welcome_text": "Onze technici kunnen uw scherm zien en u meteen helpen.",
        "consent_text": "Een technicus ziet uw scherm en mag het bedienen terwijl u meekijkt. "
        "U kunt de sessie op elk moment beëindigen.",
        "notice_text": "Dit is een demo: er wordt geen sessie gestart. "
        "Het portaal toont in plaats daarvan het adres dat het zou openen.",
        "closed_text": "Onze technici zijn op dit moment niet bereikbaar. "
        "Kom terug tijdens onze openingstijden.",
        "external_key_label": "Ticketnummer",
        "issues": {
            "printing": ("Problemen met afdrukken", "Printer offline, vastgelopen afdruktaken, scannen."),
            "email": ("E-mail en agenda", ""),
            "vpn": ("VPN en externe toegang", ""),
            "other": ("Iets anders", ""),
        },
        "fields": {
            "asset_tag": ("Inventarisnummer", "De sticker op uw computer, bijv. LT-4471."),
            "printer_model": ("Printermodel", ""),
            "urgency": ("Hoe dringend is het?", ""),
        },
        "urgency": ("Ik kan wachten", "Graag vandaag", "Ik kan niet werken"),
    },
    "pt-br": {
        "welcome_text": "Nossos técnicos podem ver sua tela e ajudar você na hora.",
        "consent_text": "Um técnico verá sua tela e poderá controlá-la enquanto você acompanha. "
        "Você pode encerrar a sessão a qualquer momento.",
        "notice_text": "Esta é uma demonstração: nenhuma sessão é iniciada. "
        "Em vez disso, o portal mostra o endereço que abriria.",
        "closed_text": "Nossos técnicos não estão disponíveis no momento. "
        "Volte durante o nosso horário de atendimento.",
        "external_key_label": "Número do chamado",
        "issues": {
            "printing": ("Problemas de impressão", "Impressora off-line, trabalhos travados, digitalização."),
            "email": ("E-mail e calendário", ""),
            "vpn": ("VPN e acesso remoto", ""),
            "other": ("Outro assunto", ""),
        },
        "fields": {
            "asset_tag": ("Número de patrimônio", "A etiqueta no seu computador, por exemplo LT-4471."),
            "printer_model": ("Modelo da impressora", ""),
            "urgency": ("Qual é a urgência?", ""),
        },
        "urgency": ("Posso esperar", "Hoje, por favor", "Não consigo trabalhar"),
    },
    "pt-pt": {
        "welcome_text": "Os nossos técnicos podem ver o seu ecrã e ajudá-lo de imediato.",
        "consent_text": "Um técnico verá o seu ecrã e poderá controlá-lo enquanto acompanha. "
        "Pode terminar a sessão a qualquer momento.",
        "notice_text": "Isto é uma demonstração: não é iniciada nenhuma sessão. "
        "Em vez disso, o portal mostra o endereço que abriria.",
        "closed_text": "Os nossos técnicos não estão disponíveis de momento. "
        "Volte durante o nosso horário de funcionamento.",
        "external_key_label": "Número do pedido de assistência",
        "issues": {
            "printing": (
                "Problemas de impressão",
                "Impressora offline, trabalhos bloqueados, digitalização.",
            ),
            "email": ("E-mail e calendário", ""),
            "vpn": ("VPN e acesso remoto", ""),
            "other": ("Outro assunto", ""),
        },
        "fields": {
            "asset_tag": ("Número de inventário", "A etiqueta no seu computador, por exemplo LT-4471."),
            "printer_model": ("Modelo da impressora", ""),
            "urgency": ("Qual é a urgência?", ""),
        },
        "urgency": ("Posso esperar", "Hoje, por favor", "Não consigo trabalhar"),
    },
    "sv-se": {
        "welcome_text": "Våra tekniker kan se din skärm och hjälpa dig direkt.",
        "consent_text": "En tekniker ser din skärm och kan styra den medan du tittar på. "
        "Du kan avsluta sessionen när som helst.",
        "notice_text": "Det här är en demo: ingen session startas. "
        "Portalen visar i stället adressen som den skulle öppna.",
        "closed_text": "Våra tekniker är inte tillgängliga just nu. "
        "Välkommen tillbaka under våra öppettider.",
        "external_key_label": "Ärendenummer",
        "issues": {
            "printing": ("Utskriftsproblem", "Skrivaren offline, utskrifter som fastnat, skanning."),
            "email": ("E-post och kalender", ""),
            "vpn": ("VPN och fjärråtkomst", ""),
            "other": ("Något annat", ""),
        },
        "fields": {
            "asset_tag": ("Inventarienummer", "Etiketten på din dator, t.ex. LT-4471."),
            "printer_model": ("Skrivarmodell", ""),
            "urgency": ("Hur brådskande är det?", ""),
        },
        "urgency": ("Jag kan vänta", "I dag, tack", "Jag kan inte arbeta"),
    },
    "tr": {
        "welcome_text": "Teknisyenlerimiz ekranınızı görebilir ve size hemen yardımcı olabilir.",
        "consent_text": "Bir teknisyen siz izlerken ekranınızı görecek ve onu kontrol edebilecek. "
        "Oturumu istediğiniz zaman sonlandırabilirsiniz.",
        "notice_text": "Bu bir demodur: hiçbir oturum başlatılmaz. "
        "Portal bunun yerine açacağı adresi gösterir.",
        "closed_text": "Teknisyenlerimiz şu anda müsait değil. "
        "Lütfen çalışma saatlerimiz içinde tekrar gelin.",
        "external_key_label": "Talep numarası",
        "issues": {
            "printing": ("Yazdırma sorunları", "Yazıcı çevrim dışı, takılan yazdırma işleri, tarama."),
            "email": ("E-posta ve takvim", ""),
            "vpn": ("VPN ve uzaktan erişim", ""),
            "other": ("Başka bir konu", ""),
        },
        "fields": {
            "asset_tag": ("Demirbaş numarası", "Bilgisayarınızdaki etiket, ör. LT-4471."),
            "printer_model": ("Yazıcı modeli", ""),
            "urgency": ("Ne kadar acil?", ""),
        },
        "urgency": ("Bekleyebilirim", "Bugün lütfen", "Çalışamıyorum"),
    },
    "ja": {
        "welcome_text": "技術者がお客様の画面を見て、すぐにサポートいたします。",
        "consent_text": "技術者がお客様の画面を見ることができ、お客様が見ている前で操作することもできます。"
        "セッションはいつでも終了できます。",
        "notice_text": "これはデモです。セッションは開始されません。"
        "代わりに、ポータルが開くアドレスを表示します。",
        "closed_text": "現在、技術者は対応できません。営業時間内にもう一度お越しください。",
        "external_key_label": "チケット番号",
        "issues": {
            "printing": ("印刷の問題", "プリンターのオフライン、印刷ジョブの停止、スキャン。"),
            "email": ("メールとカレンダー", ""),
            "vpn": ("VPN とリモートアクセス", ""),
            "other": ("その他", ""),
        },
        "fields": {
            "asset_tag": ("資産管理番号", "コンピューターに貼られているシール（例：LT-4471）。"),
            "printer_model": ("プリンターの機種", ""),
            "urgency": ("緊急度はどのくらいですか？", ""),
        },
        "urgency": ("待てます", "今日中にお願いします", "仕事ができません"),
    },
    "zh-hans": {
        "welcome_text": "我们的技术人员可以看到您的屏幕，并立即为您提供帮助。",
        "consent_text": "技术人员将看到您的屏幕，并可以在您观看时操控它。您可以随时结束会话。",
        "notice_text": "这是演示：不会启动任何会话。门户会改为显示它将打开的地址。",
        "closed_text": "我们的技术人员目前无法提供服务。请在我们的服务时间内再来。",
        "external_key_label": "工单号",
        "issues": {
            "printing": ("打印问题", "打印机脱机、打印任务卡住、扫描。"),
            "email": ("电子邮件和日历", ""),
            "vpn": ("VPN 和远程访问", ""),
            "other": ("其他问题", ""),
        },
        "fields": {
            "asset_tag": ("资产编号", "您电脑上的标签，例如 LT-4471。"),
            "printer_model": ("打印机型号", ""),
            "urgency": ("有多紧急？", ""),
        },
        "urgency": ("我可以等", "请今天处理", "我无法工作"),
    },
    "zh": {
        "welcome_text": "我們的技術人員可以看到您的螢幕，並立即為您提供協助。",
        "consent_text": "技術人員將看到您的螢幕，並可以在您觀看時操控它。您可以隨時結束工作階段。",
        "notice_text": "這是示範：不會啟動任何工作階段。入口網站會改為顯示它將開啟的網址。",
        "closed_text": "我們的技術人員目前無法提供服務。請在我們的服務時間內再回來。",
        "external_key_label": "工單編號",
        "issues": {
            "printing": ("列印問題", "印表機離線、列印工作卡住、掃描。"),
            "email": ("電子郵件和行事曆", ""),
            "vpn": ("VPN 和遠端存取", ""),
            "other": ("其他問題", ""),
        },
        "fields": {
            "asset_tag": ("資產編號", "您電腦上的標籤，例如 LT-4471。"),
            "printer_model": ("印表機型號", ""),
            "urgency": ("有多緊急？", ""),
        },
        "urgency": ("我可以等", "請今天處理", "我無法工作"),
    },
    "ru": {
        "welcome_text": "Наши специалисты видят ваш экран и сразу помогут вам.",
        "consent_text": "Специалист увидит ваш экран и сможет управлять им у вас на глазах. "
        "Вы можете завершить сеанс в любой момент.",
        "notice_text": "Это демоверсия: сеанс не запускается. Вместо этого портал показывает адрес, "
        "который он открыл бы.",
        "closed_text": "Наши специалисты сейчас недоступны. Пожалуйста, вернитесь в наши часы работы.",
        "external_key_label": "Номер заявки",
        "issues": {
            "printing": ("Проблемы с печатью", "Принтер не в сети, зависшие задания печати, сканирование."),
            "email": ("Электронная почта и календарь", ""),
            "vpn": ("VPN и удалённый доступ", ""),
            "other": ("Другое", ""),
        },
        "fields": {
            "asset_tag": ("Инвентарный номер", "Наклейка на вашем компьютере, например LT-4471."),
            "printer_model": ("Модель принтера", ""),
            "urgency": ("Насколько это срочно?", ""),
        },
        "urgency": ("Могу подождать", "Сегодня, пожалуйста", "Не могу работать"),
    },
}


# Texts an earlier demo wrote that it writes otherwise now, exactly as it wrote them (same
# layout as TEXTS, each a tuple of former texts). `portal_demo` replaces a stored text that is
# one of these, as it fills an empty one: the demo wrote it and nobody changed it since. Any
# other text is an admin's and stays. A changed demo text adds its old value here.
FORMER_TEXTS: dict[str, dict] = {
    "ja": {
        # The technician "sometimes operates" the screen, not "can also operate" it.
        "consent_text": (
            "技術者がお客様の画面を見て、お客様の目の前で操作することがあります。セッションはいつでも終了できます。",
        ),
        # A half-width colon after 例, where the portal's own examples take the full-width one.
        "fields": {"asset_tag": {"help_text": ("コンピューターに貼られているシール（例: LT-4471）。",)}},
    },
    # "May control" as "possibly controls" (可能), not "can control".
    "zh": {"consent_text": ("技術人員將看到您的螢幕，並可能在您觀看時操控它。您可以隨時結束工作階段。",)},
    "zh-hans": {"consent_text": ("技术人员将看到您的屏幕，并可能在您观看时操控它。您可以随时结束会话。",)},
    # Before the no-break space after a one-letter word
    # (docs/decisions/0108-line-breaks-on-customer-pages.md).
    "ru": {
        "welcome_text": ("Наши специалисты видят ваш экран и сразу помогут вам.",),
        "consent_text": (
            "Специалист увидит ваш экран и сможет управлять им у вас на глазах. "
            "Вы можете завершить сеанс в любой момент.",
        ),
        "closed_text": ("Наши специалисты сейчас недоступны. Пожалуйста, вернитесь в наши часы работы.",),
        "issues": {
            "printing": {
                "display_name": ("Проблемы с печатью",),
                "description": ("Принтер не в сети, зависшие задания печати, сканирование.",),
            },
            "email": {"display_name": ("Электронная почта и календарь",)},
            "vpn": {"display_name": ("VPN и удалённый доступ",)},
        },
    },
}

SITE_TEXT_FIELDS = ("welcome_text", "notice_text", "consent_text", "closed_text", "external_key_label")
SOURCE = TEXTS["en-us"]


def urgency_choices(language: str) -> str:
    """The urgency field's 'value|label' lines in one language."""
    return "\n".join(
        f"{value}|{label}" for value, label in zip(URGENCY_VALUES, TEXTS[language]["urgency"], strict=True)
    )
