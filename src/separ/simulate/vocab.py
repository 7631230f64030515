"""Word lists for simulated profiles and posts (Persian and English).

Every name here is a common first name, a common family name or an invented word; the
simulator combines them at random, so no handle or display name belongs to a real person.
Lists are written as ``;``-separated text: ``~`` stands for the zero-width non-joiner that
Persian writes inside words such as «می~خواهم», and ``-`` for an empty item.
"""

from __future__ import annotations

ZW = "\u200c"
FLAG = "\U0001f1ee\U0001f1f7"  # the flag of Iran


def _items(text: str) -> tuple[str, ...]:
    """Items separated by ``;`` (line breaks are spaces): ``~`` is ZWNJ, ``-`` empty."""
    items = (" ".join(item.split()).replace("~", ZW) for item in text.split(";"))
    return tuple("" if item == "-" else item for item in items)


FA_FIRST = _items(
    """
    مریم ; سارا ; نگار ; نازنین ; زهرا ; فاطمه ; الهام ; نیلوفر ; شیرین ; پریسا ; بهار ; ترانه
    ; رویا ; لیلا ; هستی ; آیدا ; یاسمن ; مینا ; شادی ; گلنار ; سپیده ; نسرین ; ژیلا ; علی ;
    رضا ; محمد ; حسین ; امیر ; مهدی ; سعید ; کاوه ; بابک ; آرش ; پویا ; سینا ; نیما ; احسان ;
    امید ; فرهاد ; بهروز ; کامران
    """
)
FA_LAST = _items(
    """
    احمدی ; رضایی ; محمدی ; کریمی ; حسینی ; موسوی ; جعفری ; صادقی ; رحیمی ; نوری ; کاظمی ;
    شریفی ; قاسمی ; تهرانی ; شیرازی ; اصفهانی ; تبریزی ; یزدانی ; کرمانی ; مرادی ; باقری ;
    عباسی ; نجفی ; فراهانی ; سلطانی ; میرزایی
    """
)
LATIN_FIRST = _items(
    """
    maryam ; sara ; negar ; nazanin ; zahra ; fatemeh ; elham ; niloofar ; shirin ; parisa ;
    bahar ; taraneh ; roya ; leila ; hasti ; aida ; yasaman ; mina ; shadi ; golnar ; sepideh
    ; nasrin ; jila ; ali ; reza ; mohammad ; hossein ; amir ; mehdi ; saeed ; kaveh ; babak ;
    arash ; pouya ; sina ; nima ; ehsan ; omid ; farhad ; behrouz ; kamran
    """
)
LATIN_LAST = _items(
    """
    ahmadi ; rezaei ; mohammadi ; karimi ; hosseini ; mousavi ; jafari ; sadeghi ; rahimi ;
    nouri ; kazemi ; sharifi ; ghasemi ; tehrani ; shirazi ; esfahani ; tabrizi ; yazdani ;
    kermani ; moradi ; bagheri ; abbasi ; najafi ; farahani ; soltani ; mirzaei
    """
)
LATIN_WORDS = _items(
    """
    azad ; sepid ; baran ; setareh ; darya ; kooh ; parvaz ; nour ; shab ; sahar ; bidar ;
    sarv ; golbahar ; ghoghnoos ; mahtab ; ketab ; kooche ; baghche ; sayeh ; tanin ; khorshid
    ; panjere ; sedaa ; raha ; abr ; mah ; chay ; cafe ; musafer ; rahi ; dastan ; harf ;
    jangal ; barf
    """
)
AGENCY_WORDS = _items("navid ; ofogh ; sepehr ; payam ; ava ; farda ; mihan ; arman")
AGENCY_WORDS_FA = _items("نوید ; افق ; سپهر ; پیام ; آوا ; فردا ; میهن ; آرمان")
AGENCY_SUFFIX = _items(
    """
    news ; agency ; media ; daily ; official ; tv ; press ; fa ; en ; online
    """
)
FA_PSEUDO = _items(
    """
    صدای آزادی ; دختر باد ; سرو ایستاده ; ققنوس ; شب~نشین ; راوی ; کوچه~گرد ; بیدار ; زن آزاد
    ; معلم ; دانشجو ; پرستو ; باران ; سپیده ; ستاره سحر ; رهگذر ; کبوتر ; نسیم ; آینه ; شاپرک
    """
)
EN_PSEUDO = _items(
    """
    Free Voice ; Night Writer ; Cypress ; Phoenix ; Witness ; Storyteller ; Passerby ; Tehran
    Notes ; Wind Daughter ; A Teacher ; Student ; Swallow
    """
)
OP_NAMES = _items(
    """
    سرباز وطن ; عاشق ایران ; مدافع حرم ; فرزند انقلاب ; ایرانی غیور ; بسیجی گمنام ; جوان
    انقلابی ; خادم ملت
    """
)
AGENCY_FA = _items("خبرگزاری ; شبکه خبر ; روزنامه ; سخنگوی ; پایگاه خبری ; دفتر رسانه")
NAME_EMOJI = _items("🌱 ; ☕ ; 🌸 ; 📚 ; 🎧 ; 🌙 ; ✨")
BIO_FA = _items(
    """
    عاشق کتاب و قهوه ; دانشجوی مهندسی ; معلم بازنشسته ; برنامه~نویس ; عکاس آماتور ; زندگی
    جریان دارد ; مادر دو فرزند ; طرفدار فوتبال ; کارمند و کتاب~خوان ; نقاش و تصویرگر ; پزشک
    عمومی ; موسیقی، سفر، طبیعت
    """
)
BIO_EN = _items(
    """
    coffee, books, cats ; software engineer ; PhD student ; photographer ; views are my own ;
    football and music ; teacher ; dreaming of home ; designer ; runner
    """
)
BIO_AT_RISK = _items(
    """
    روزنامه~نگار ; فعال حقوق زنان ; فعال مدنی ; وکیل دادگستری ; فعال صنفی معلمان ; Journalist
    ; Women's rights defender ; Human rights, free expression
    """
)
BIO_OP = _items("عاشق ایران 🇮🇷 ; خادم مردم ; ایران قوی ; Proud Iranian 🇮🇷 ; فقط برای وطن")
LOCATIONS = _items(
    """
    تهران ; Tehran ; Tehran, Iran ; اصفهان ; شیراز ; مشهد ; تبریز ; کرج ; رشت ; Toronto ;
    Berlin ; London ; Los Angeles ; Paris ; Stockholm ; Istanbul ; Earth ; خونه ; ایران ; Iran ; قم
    """
)
OP_LOCATIONS = _items("ایران ; تهران ; Iran ; قم")
FA_S0 = _items(
    """
    - ; - ; - ; - ; امروز ; دیشب ; صبح ; ساعت ۵ ; آخر هفته ; تو مترو ; سر کار ; تو صف
    """
)
FA_S1 = _items(
    """
    - ; راستش ; به نظرم ; بچه~ها ; واقعا ; این روزها ; بالاخره ; باورم نمی~شه ; دوستان ; عجیبه
    که ; نمی~دونم چرا ; یکی بگه ; خبر دارید ; همین الان
    """
)
FA_S2 = _items(
    """
    قیمت نان ; ترافیک تهران ; اینترنت خونه ; کنسرت دیشب ; فیلم جدید ; قیمت دلار ; اجاره~خونه ;
    هوای شهر ; بازی دیشب ; کلاس زبان ; کتابی که می~خونم ; گربه همسایه ; قطعی برق ; سریال تازه
    ; امتحان فردا ; مهمونی خانوادگی ; قرمه~سبزی مامان ; کافه سر کوچه ; بارون پاییزی ; فیلترشکن
    ; حقوق این ماه ; بلیت هواپیما ; کنکور ; کار جدیدم ; همکارم ; تاکسی اینترنتی ; نمایشگاه
    کتاب ; موسیقی سنتی ; قیمت بنزین ; دندون~پزشکی ; پارک محله ; سفر شمال ; آلودگی هوا ; جام
    جهانی ; بورس ; نوروز ; صف داروخانه ; کلاس آنلاین ; قیمت مرغ ; پیاده~روی عصر
    """
)
FA_S3 = _items(
    """
    خیلی گرون شده ; واقعا عالی بود ; اعصابمو خورد کرد ; بدتر از همیشه~ست ; یه چیز دیگه~ست ;
    هنوز درست نشده ; منو یاد بچگی انداخت ; ارزش دیدن داشت ; کلافه~م کرده ; بهتر از انتظارم بود
    ; دیگه قابل تحمل نیست ; حال خوبی بهم داد ; شوخی نیست ; همه رو غافلگیر کرد ; تموم نمی~شه ;
    یک فاجعه بود ; خیلی قشنگ بود ; بازم عقب افتاد ; دو برابر شده ; آرومم کرد ; حرف نداشت ;
    ناامیدم کرد ; واقعا خنده~دار بود ; هیچ منطقی نداره ; باید دید چی می~شه ; خسته~م کرده ; همه
    جا پیچیده ; بی~نظیر بود ; کاملا معمولی بود ; نصفه موند ; خیلی طول کشید ; وقتمو هدر داد ;
    بهم انرژی داد ; همه رو درگیر کرده ; مثل همیشه~ست ; جای بحث داره
    """
)
FA_S4 = _items(
    """
    - ; - ; - ; و هنوز هیچکس جواب نمی~ده ; و من فقط نگاه می~کنم ; ولی خب چاره~ای نیست ; ولی
    امیدوارم ; و کسی نمی~پرسه چرا ; حتی بیشتر از پارسال ; برای بار سوم ; با اینکه گفته بودن نه
    ; اونم وسط هفته
    """
)
FA_S5 = _items("- ; - ; - ; 😂 ; 🙏 ; 😐 ; ! ; … ; نه؟ ; جدی میگم ; حیف ; 😅 ; ❤️ ; 😭 ; 🌱 ; والا")
FA_SHORT = _items("صبح بخیر ; شب بخیر ; آمین ; 😂😂😂 ; نوروزتون مبارک ; تسلیت ; دقیقا ; ❤️")
EN_S0 = _items("- ; - ; - ; - ; Today ; Last night ; This morning ; On the train ; At work")
EN_S1 = _items(
    """
    - ; - ; honestly ; ok so ; not gonna lie ; can't believe ; fun fact: ; reminder:
    """
)
EN_S2 = _items(
    """
    the rent ; my internet ; the concert ; this new show ; the exchange rate ; the weather ;
    last night's game ; my language class ; the book I'm reading ; my neighbour's cat ; the
    power cut ; tomorrow's exam ; the family dinner ; the cafe downstairs ; my VPN ; this
    month's salary ; flight prices ; my new job ; my coworker ; the book fair ; traditional
    music ; the dentist ; the park ; the air pollution ; the world cup ; Nowruz shopping
    """
)
EN_S3 = _items(
    """
    is getting expensive ; was amazing ; drives me crazy ; is worse than ever ; is something
    else ; still isn't fixed ; reminded me of childhood ; was worth it ; made my day ; is no
    joke ; surprised everyone ; never ends ; was a disaster ; was beautiful ; got delayed
    again ; doubled in price ; calmed me down ; was perfect ; was disappointing ; makes no
    sense ; is everywhere ; was totally ordinary
    """
)
EN_S4 = _items(
    """
    - ; - ; - ; again ; for the third time ; and nobody explains why ; in the middle of the
    week
    """
)
EN_S5 = _items("- ; - ; - ; lol ; 😂 ; 🙏 ; ! ; ... ; right? ; ugh ; ❤️ ; 🌱")
EN_SHORT = _items("good morning ; happy Nowruz! ; same ; 😂😂😂 ; this. ; so true")
NEWS_FA_S0 = _items("فوری | ; خبر | ; گزارش تصویری | ; - ; -")
NEWS_FA_S1 = _items(
    """
    رئیس~جمهور ; وزیر امور خارجه ; سخنگوی دولت ; وزیر نفت ; استاندار تهران ; فرمانده انتظامی ;
    وزیر اقتصاد ; رئیس مجلس
    """
)
NEWS_FA_S2 = _items(
    """
    از افتتاح ; بر ضرورت ; از پیشرفت ; در دیدار با مسئولان درباره ; در نشست خبری درباره ; از
    آغاز
    """
)
NEWS_FA_S3 = _items(
    """
    طرح ملی مسکن ; پروژه انتقال آب ; خط جدید مترو ; همکاری منطقه~ای ; امنیت پایدار ; صادرات
    غیرنفتی ; طرح حمایت از تولید ; نمایشگاه دستاوردها
    """
)
NEWS_FA_S4 = _items("خبر داد ; تاکید کرد ; سخن گفت ; گزارش داد")
NEWS_EN = _items(
    """
    Official: new national housing plan launched ; Foreign minister meets regional
    counterparts ; Government spokesperson briefs press on economy ; New metro line opens in
    the capital ; Non-oil exports grow, ministry says
    """
)
PROTEST_FA_S1 = _items(
    """
    صدای ما را بشنوید ; ما خاموش نمی~شویم ; برای آزادی ; زنان ایستاده~اند ; امشب هم در خیابان
    بودیم ; این ویدیو را ببینید ; دانشجویان امروز تجمع کردند ; معلمان بازنشسته دوباره آمدند ;
    همه با هم تا آخر ; از زندانیان سیاسی حمایت کنید ; به اعدام~ها اعتراض داریم ; نام~شان را
    فراموش نمی~کنیم
    """
)
PROTEST_FA_S2 = _items(
    """
    - ; - ; در شهرهای مختلف ; با وجود سرکوب ; حتی زیر باران ; برای چندمین شب ; با شعارهای جدید
    ; در سکوت کامل
    """
)
PROTEST_FA_S3 = _items("- ; ✌️ ; 🕊️ ; 💔 ; … ; ! ; امیدواریم")
SOLIDARITY = _items(
    """
    همبستگی ✊ ; صدایش باشیم ; تنها نیستی ; بازنشر کنید ; We stand with you ; ✊✊
    """
)
COPY_FA = _items(
    """
    رسانه~های بیگانه با پول~های کلان دوباره به دنبال آشوب هستند ; این خانم مزدور رسانه~های
    خارجی است و برای دلار می~نویسد ; مردم ایران فریب دروغ~های وطن~فروشان را نمی~خورند ; امنیت
    کشور خط قرمز ماست و با آشوبگران برخورد می~شود ; همه دیدند که پشت این آشوب~ها چه کسانی
    هستند ; ادعاهای این فعال دروغ محض است و هیچ مدرکی ندارد ; پروژه تحریف واقعیت~ها دوباره
    کلید خورد ; ایران قوی با وحدت ملی ساخته می~شود نه با هشتگ~های خارجی ; این حساب~ها از خارج
    مدیریت می~شوند و ربطی به مردم ندارند ; جوانان ما بیدارند و بازی رسانه~ای دشمن را می~شناسند
    ; کسانی که برای دشمن کار می~کنند باید پاسخگو باشند ; مردم با حضور خود پاسخ دروغ~پردازان را
    دادند
    """
)
COPY_FA_TAIL = _items(
    """
    - ; بیدار باشید ; منتشر کنید ; حقیقت را ببینید ; ملت ایران ایستاده است ; دشمن شاد نشود
    """
)
COPY_FA_NUMBER = _items("- ; - ; بیش از ۲۰۰ میلیون دلار ; در ۱۴۰۴ ; ۳۰ هزار نفر ; ۱۲ شبکه")
COPY_EN = _items(
    """
    Foreign-funded media are once again trying to stir up chaos ; This so-called activist is
    paid by foreign channels ; Iranians will not be fooled by the lies of traitors ; Everyone
    can see who is really behind these riots ; These accounts are run from abroad and do not
    speak for the people
    """
)
COPY_EN_TAIL = _items("- ; Wake up ; Share the truth ; Iran stands strong ; Don't be fooled")
SYNONYMS = {
    "آشوب": "فتنه",
    "دروغ": "کذب",
    "مردم": "ملت",
    "دشمن": "بیگانه",
    "chaos": "unrest",
    "lies": "propaganda",
    "traitors": "sellouts",
}
OP_EMOJI = _items("🇮🇷 ; ✌️ ; 🔥 ; ‼️ ; 👇")
THREAT_FA = _items(
    """
    می~دونیم کجا زندگی می~کنی ; روزهای آخرت رو می~گذرونی ; به زودی صدات خاموش می~شه ; حکمت
    اعدامه، منتظر باش ; خانواده~ت رو هم پیدا می~کنیم ; یه روز تو خیابون می~بینیمت ; سزای
    وطن~فروشی مرگه ; دیر یا زود تقاص پس میدی
    """
)
THREAT_EN = _items(
    """
    We know where you live. ; Your days are numbered. ; Traitors like you end up dead. ; Watch
    your back, we are coming for you. ; You will pay for this with your life. ; We found your
    family's address.
    """
)
TAGS_ORGANIC_FA = _items(
    """
    ایران ; تهران ; فوتبال ; سینما ; کتاب ; موسیقی ; نوروز ; اقتصاد ; دلار ; آلودگی_هوا ;
    اینترنت_آزاد ; فیلترینگ ; زندگی ; عکاسی ; آشپزی ; سفر ; طبیعت ; کنکور ; دانشگاه ; قطعی_برق
    """
)
TAGS_ORGANIC_EN = _items(
    """
    Iran ; Tehran ; football ; books ; music ; Nowruz ; photography ; travel ; tech ; cinema
    """
)
TAGS_PROTEST = _items(
    """
    زن_زندگی_آزادی ; اعدام_نکنید ; آزادی_بیان ; زندانی_سیاسی_آزاد_باید_گردد ; اعتصاب_سراسری ;
    معلمان_زندانی ; WomanLifeFreedom ; StopExecutions ; FreeThemAll
    """
)
TAGS_OP = _items(
    """
    ایران_قوی ; نه_به_آشوب ; امنیت_ملی ; دشمن_شاد_نشود ; رسانه_های_بیگانه ; وطن_فروش ;
    آشوبگر_مزدور ; اقتدار_ملی ; جنگ_رسانه_ای ; فتنه_گران ; IranStrong ; NoToRiots
    """
)
TAGS_NEWS = _items("خبر_فوری ; دولت_مردمی ; پیشرفت_ایران ; IranNews")
DOMAINS_ORGANIC = _items(
    """
    news.example.com ; video.example.net ; blog.example.org ; photos.example.net ;
    shop.example.com ; music.example.org ; wiki.example.org ; podcast.example.com
    """
)
DOMAINS_NEWS = _items("state-news.example ; official-agency.example")
DOMAINS_OP = _items("haghighat-daily.example ; iran-truth.example ; vatan-news.example")
URL_WORDS = _items("news ; video ; post ; article ; p ; watch ; story ; photo")
UTM = _items(
    """
    - ; - ; - ; - ; ?utm_source=twitter&utm_medium=social ; ?utm_source=telegram ; ?ref=share
    ; ?utm_campaign=share&utm_source=app
    """
)
CLIENTS = _items("android ; ios ; web ; desktop ; mobile-web ; social-desk")
REPORT_REASONS = _items(
    """
    violent_speech ; harassment ; hateful_conduct ; spam ; misinformation ; impersonation ;
    other
    """
)
APPEAL_FA = _items(
    """
    این تصمیم اشتباه است، من فقط خبر منتشر کردم ; حساب من هدف گزارش~های دسته~جمعی قرار گرفته
    است ; لطفا دوباره بررسی کنید، محتوای من خشونت~آمیز نبود
    """
)
APPEAL_EN = _items(
    """
    This was a mistake, I only shared news. ; My account was mass-reported by a coordinated
    group. ; Please review again, nothing I posted was violent.
    """
)
