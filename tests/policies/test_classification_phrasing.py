"""The default classifier on complaints phrased the way customers write them.

Three sets of texts, none of them copied from the keyword lists: simplified and
traditional Chinese (colloquial, long narratives, short angry lines, internet slang,
Hong Kong Cantonese) and informal English, at least fifteen per category, some naming two
problems where an agent would still file one. Each category must keep an accuracy floor
(not 100%: a keyword list that fits every one of these texts would be fitted to them), and
no safety text may be missed or invented.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import KeywordClassifier
from complaintflow.policies.classification import default_fold

#: The first set.
FIRST: dict[str, list[str]] = {
    "quality_defect": [
        "无语，新买的保温杯才用了一个礼拜就不保温了",
        "坑爹啊！鞋子穿了三天鞋底就裂开一条大缝",
        "件衫洗咗一次就縮晒水，質量咁差",
        "部吹風機用咗兩個星期就冇風出，壞咗",
        "買的電動牙刷充滿電只用得一天，電池根本不行",
        "我上个月在你们店买了一台空气炸锅，刚开始用还好，结果第二周开始就一直显示故障代码E3，按什么键都没反应，家里人都等着用，真的很闹心",
        "气死了，刚拆的耳机左边就没声音",
        "沙发坐了一个月就塌了，皮面还起皱",
        "羽絨服鑽毛鑽得厲害，穿一天身上全是毛",
        "the handle snapped off the first time I used the pan",
        "honestly the stitching on this backpack is coming undone after a fortnight, really disappointed",
        "my new phone keeps restarting by itself every few hours",
        "the paint is peeling off the table legs already",
        "bought a blender last month and the motor just died yesterday",
        "連衣裙第一次洗就甩色，仲要店員話唔可以換",
    ],
    "not_as_described": [
        "买的是128G收到的是64G的",
        "图片上是实木，收到一摸是刨花板，这不是骗人吗",
        "说好的真丝结果是聚酯纤维",
        "件外套同網上相差太遠，顏色完全唔同",
        "收到嘅鞋碼同我落單嗰個唔一樣",
        "订了一套六个碗，结果箱子里只有四个",
        "网页上写的是加厚款，到手薄得跟纸一样，和描述完全两码事",
        "无语，模特图上是修身的，实际穿上跟麻袋似的",
        "商品详情页说防水，结果一淋雨就湿透了，虚假宣传",
        "the colour in real life is nowhere near what the listing showed",
        "I ordered a queen size duvet and got a single",
        "the dimensions listed online were 120cm but the table is only 100cm",
        "the product page said stainless steel but it's clearly plastic painted silver",
        "you sent me the blue one, I clearly picked green",
        "ordered the 2 pack, only one in the box",
    ],
    "authenticity": [
        "专柜鉴定说这个包是假的",
        "你們賣嘅波鞋係翻版貨嚟㗎",
        "拿去验了说不是正品，退钱！",
        "这香水味道跟专柜的完全不一样，怀疑是假货",
        "手机拆开发现是翻新机，还有别人的照片",
        "口紅批號查唔到，肯定係假嘢",
        "说是官方旗舰店，卖的却是仿货，坑爹",
        "化妆品瓶子上的防伪标签撕过了，怀疑被掉包",
        "收到的茅台酒瓶口有二次封口的痕迹，这酒是真的吗",
        "the sneakers I got are obviously fakes, the logo stitching is all wrong",
        "brand's own store told me the watch is not authentic",
        "this 'new' laptop has someone else's files on it, it's clearly been used",
        "the serial number on my headphones doesn't exist on the manufacturer's site",
        "pretty sure this designer scarf is a knock-off",
        "I paid full price for what turned out to be a counterfeit charger",
    ],
    "staff_attitude": [
        "那个店员说话阴阳怪气的，好像我买不起一样",
        "客服态度嚣张，说爱买不买",
        "個店員好串，問佢嘢佢當聽唔到",
        "收銀員黑口黑面，仲大聲鬧我",
        "无语了，导购全程在玩手机，叫了好几次都不理",
        "保安对我大吼大叫把我赶出去",
        "气死了，打电话问个问题，客服说我听不懂人话",
        "今天去你们门店退货，排了半小时队，轮到我的时候那个女店员一脸不耐烦，还当着其他顾客的面说我事多，我从来没受过这种气",
        "配送员态度恶劣，还骂脏话",
        "the sales assistant was incredibly rude and told me to go shop elsewhere",
        "the lady at the till rolled her eyes and muttered something under her breath",
        "your security guard treated me like a criminal in front of my kids",
        "the manager was so condescending, talked down to me the whole time",
        "the agent on the phone was sarcastic and kept cutting me off",
        "staff completely ignored me for 20 minutes while chatting to each other",
    ],
    "slow_after_sales": [
        "申请退款十天了还没到账",
        "售后电话一直打不通，无语",
        "提交了维修申请两周了，没有任何人联系我",
        "搞咗成個月都未有人覆我",
        "投訴咗三次都冇人跟進",
        "客服说48小时内回复，现在一个礼拜了",
        "退货寄回去半个月了，钱还没退",
        "坑爹，每次打客服都是让我等通知，等到现在",
        "我十月初就在你们app上申请了售后，上传了照片，客服说会安排专人跟进，结果到现在一个多月了，打了四五次电话每次都说在处理，到底要拖到什么时候",
        "I returned the item three weeks ago and I'm still waiting on my refund",
        "I've sent four emails and nobody has replied",
        "your support line keeps me on hold for an hour every time",
        "the repair was supposed to take a week, it's been over a month",
        "every time I call I get told someone will ring me back and no one ever does",
        "chased my warranty claim five times and still no answer",
    ],
    "rigid_policy": [
        "只是尺码不合适，门店说拆了包装就不能退",
        "没有发票就不给保修",
        "差一天就过七天了，死活不给退",
        "啲店員話特價貨唔退唔換，咩道理",
        "退貨一定要原裝盒，盒咗扔咗就唔得",
        "非要我本人带身份证过来才能退",
        "退款只能退成店铺余额，不能原路返回",
        "气死了，商品没问题只是不喜欢，就说不能退",
        "在你们店买了一件外套，回家发现不合身，第二天拿去换，店员说吊牌拆了一律不换，我吊牌都还留着只是剪了而已",
        "they won't take back an unopened item because I lost the receipt",
        "the store said sale items are final and can't be exchanged",
        "they insisted I pay a 15% restocking fee on something I never used",
        "was told returns are only accepted within 14 days, I was on day 15",
        "they'd only give me store credit, not my money back",
        "customer service said it's against policy to refund opened items",
    ],
    "delivery_delay": [
        "等咗成個禮拜都未收到貨",
        "快遞話今日到，到而家都未見人",
        "物流显示在某个中转站待了五天了",
        "坑爹的快递，说次日达结果三天了",
        "外卖下单一个半小时还没送到",
        "下單話三日內發貨，而家十日都冇動靜",
        "家具约好了今天送货，等了一天没人来",
        "我为了等这个包裹专门请了一天假，结果快递一直没来，打电话也没人接，物流信息还显示派送中",
        "说好的周末前到，现在都下周三了",
        "my order was meant to arrive last Tuesday and it's still not here",
        "the tracking has said 'in transit' for 9 days",
        "ordered a birthday present two weeks ago, the party came and went and no parcel",
        "your courier keeps rescheduling my delivery",
        "the takeaway took almost two hours to turn up",
        "it's been a month, my package is nowhere to be seen",
    ],
    "delivery_damage": [
        "快递送到的时候箱子都破了，里面的盘子碎了两个",
        "冰箱送来门上有个大凹痕",
        "鸡蛋收到烂了一半",
        "包裹俾人掟到變形，入面嘅樽裂咗",
        "快遞員暴力派送，箱子都壓扁了",
        "收到的蛋糕都塌了，明显是路上颠的",
        "坑爹，快递把我的显示器屏幕压碎了",
        "外卖汤洒了一袋子",
        "新买的镜子运过来就裂了一道",
        "the parcel was left in the rain and everything inside was soaked",
        "the courier clearly dropped my box, the lamp inside is in bits",
        "my TV arrived with a cracked screen and the box had a hole in it",
        "the glasses were smashed when the delivery came, terrible packaging",
        "the flowers arrived crushed and wilted",
        "the delivery guys scratched my new wardrobe carrying it in",
    ],
    "channel_inconsistency": [
        "同一件衣服门店卖399，你们小程序才259",
        "網上寫有貨，去到門市話冇",
        "在app上买的券，到店里说用不了",
        "门店不给退网上买的东西，让我找客服",
        "官網嘅價錢同舖頭差咗一百蚊",
        "线上会员价店里不认",
        "无语，同一个品牌网店和实体店价格差这么多",
        "电话客服说可以门店换货，去了门店说网购的不能换",
        "天猫旗舰店的活动门店不参加，那你们到底是不是一家",
        "the shop charged me 20 quid more than the price on your app",
        "the store refused to accept a return for something I ordered on your website",
        "your website showed it available at my local store but they said they'd never stocked it",
        "why is the in-store price higher than on your website for the same item?",
        "the app said click and collect was ready, but the store couldn't find my order",
        "online it's on offer but in the shop they said the offer doesn't apply",
    ],
    "membership_benefit": [
        "我的会员积分莫名其妙少了两千",
        "金卡会员的免费停车怎么没有了",
        "會員生日禮物到而家都冇收到",
        "储值卡里的钱被扣了，我都没消费",
        "升级了钻石会员，权益一项都用不了",
        "气死了，积分兑换的礼品一直显示缺货",
        "会员日说双倍积分，结果只给了一倍",
        "會員卡入面仲有五百蚊，點解用唔到",
        "续费了年卡会员，权益还是普通会员的",
        "my reward points expired without any warning",
        "I'm a gold member and I was not given the members' discount",
        "I renewed my membership but the app still shows me as a basic member",
        "the birthday reward never showed up in my account",
        "my gift card was declined even though it has £50 on it",
        "you charged my annual membership fee twice",
    ],
    "promotion_dispute": [
        "满300减50结账时没减",
        "领的优惠券下单时显示不可用",
        "刚买三天就降价一百，申请价保被拒",
        "宣傳話買二送一，埋單又話唔包呢款",
        "标价59结账收我79",
        "直播间说送赠品，收到什么都没有",
        "坑爹，双十一前先涨价再打折",
        "抽奖中了一等奖，一直不兑现",
        "第二件半價，收銀機冇計到",
        "the 20% off code didn't work at checkout",
        "the sign said 3 for £10 but I was charged full price for each",
        "I was charged £12.99 when the shelf label clearly said £9.99",
        "the free gift that was promised with my order never came",
        "the Black Friday deal was cheaper the week before",
        "your promotion terms changed after I had already placed the order",
    ],
    "food_safety": [
        "外卖汤里吃出一只苍蝇，恶心死了",
        "买的酸奶打开有股馊味，日期还没过",
        "食完你哋嘅燒鵝成家人肚痾",
        "飯入面有條頭髮，好核突",
        "孩子喝了你们的奶粉后一直拉稀",
        "無語，麵包入面有黴",
        "吃了你们家的小龙虾，晚上进了医院，急性肠胃炎",
        "薯片里面有一块塑料",
        "牛排切开里面还是血淋淋的生肉",
        "there was a long black hair baked into my pizza",
        "the prawns smelled off and two of us were sick after dinner",
        "found mould on the bread the day I bought it",
        "my daughter found a piece of glass in her yoghurt",
        "the sandwich was past its use-by date when I bought it",
        "we all had food poisoning after your buffet",
    ],
    "injury": [
        "充电宝在包里发烫冒烟，把我手烫起泡了",
        "商场扶梯突然停了，我妈摔下来腿骨折了",
        "玩具零件太小，孩子差点吞下去",
        "門口塊地好滑，我跣親跌親",
        "用了你们的洗发水头皮红肿发痒",
        "货架上的东西掉下来砸到我头",
        "新買的自行車剎車失靈，我撞到牆受傷",
        "玻璃杯倒热水直接炸了，碎片划破了我的手",
        "面膜敷完整张脸过敏起红疹",
        "the ladder collapsed and I hurt my back",
        "the kettle leaked boiling water and scalded my hand",
        "my toddler got his fingers trapped in the stroller hinge",
        "the phone charger sparked and burnt my fingers",
        "I tripped over a box left in the aisle and sprained my ankle",
        "the face cream brought me out in hives",
    ],
    "other": [
        "请问你们周末几点开门",
        "想问下有没有儿童款",
        "你們會唔會出新款",
        "门店附近停车太难了",
        "建议你们多开几家分店",
        "can you tell me if this jacket comes in a larger size",
        "I would like to update my email address",
        "do you ship to Canada",
        "just wanted to say thanks to the team",
        "how do I unsubscribe from the newsletter",
        "我想加盟你们品牌，怎么联系",
        "有冇得預約試身",
        "请问可以开公司抬头吗",
        "what are your opening hours on bank holidays",
        "is there a store near Manchester",
    ],
}

#: The second set, written after the first had been used to extend the keywords.
SECOND: dict[str, list[str]] = {
    "quality_defect": [
        "刚买的裤子蹲下去屁股那里就撕开了",
        "电动车骑了不到一个月电机就烧了",
        "个煲用咗三日就唔着",
        "手錶買咗一個月就唔行，停咗",
        "无语，新买的床单洗一下全是毛球",
        "冰箱冷藏室不冷，东西都放坏了",
        "行李箱轮子第一次出门就掉了一个",
        "笔记本电脑键盘好几个键按不动，售后还要我自己寄过去",
        "我在你们旗舰店买的扫地机器人，用了十来天就开始原地打转，重启也没用，客服让我恢复出厂设置还是不行",
        "the heel came off my boot on the second day",
        "the jeans split along the seam the first time I wore them",
        "my hoover lost all its power after a month",
        "the umbrella turned inside out and two spokes snapped in light wind",
        "toaster only heats on one side now, it's six weeks old",
        "the dishwasher door won't close properly and it leaks everywhere, and the shop refused to swap it",
    ],
    "not_as_described": [
        "网上说是一斤装，称了只有八两",
        "包装上写的是有机，结果根本没有认证",
        "衫嘅顏色同相片差好遠",
        "我訂嘅係XL，寄嚟係M",
        "说好是原木色，到手是深棕色",
        "坑爹，说是四件套，只有三件",
        "耳机宣传说能降噪，戴上跟没降一样",
        "买的是无糖版本，收到的是普通版",
        "店里样品是带抽屉的，送来的没有抽屉",
        "the box said 500 pieces but there were clearly fewer",
        "the cushion is much thinner than it looked in the pictures",
        "the 'leather' sofa is actually fabric with a leather-look print",
        "I bought the large one and the item that turned up is the small version",
        "what arrived is a completely different shade of grey to the one I chose",
        "the ad said it has a 10 hour battery but it's nowhere close",
    ],
    "authenticity": [
        "这个充电器一看就是山寨货",
        "鞋盒里的鞋跟专柜的做工完全不一样，是A货吧",
        "佢哋賣假貨，我要投訴",
        "耳机序列号官网查不到，肯定不是正品",
        "你们卖的奶粉是不是水货",
        "收到的包包五金刻字都歪了，找人鉴定说是仿的",
        "口红的膏体颜色和味道都不对，这是假货",
        "明明说全新，拆开里面有划痕和指纹，是别人退回来的吧",
        "气死了，花了三千多买了个高仿",
        "the handbag you sold me is a replica, the dust bag isn't even the right brand",
        "Apple says the AirPods I bought from you are not genuine",
        "the 'brand new' console has clearly been opened and used before",
        "these are knock off trainers, the stitching and tags are all wrong",
        "I had the watch checked by a jeweller and it's fake",
        "the whisky doesn't taste like the real thing and the seal looks tampered",
    ],
    "staff_attitude": [
        "那个经理跟我说话一副高高在上的样子",
        "导购看我穿得普通就不招呼我",
        "收银员扔零钱给我",
        "店員成日黑面，問嘢又唔答",
        "客服小姐姐态度超差，说两句就挂电话",
        "服务员把菜往桌上一摔，什么素质",
        "无语，骑手送餐还骂骂咧咧的",
        "坑爹，保安说我像小偷要搜我的包",
        "我只是问了下有没有别的颜色，那个店员就说不买别乱摸",
        "the woman at customer service was extremely rude to my elderly father",
        "your delivery driver swore at me when I asked him to bring it upstairs",
        "the staff member refused to help and was really snotty about it",
        "the shop assistant spoke to me like I was stupid",
        "I was made to feel unwelcome by the staff because I was in a wheelchair",
        "the manager raised his voice at me and told me to get out",
    ],
    "slow_after_sales": [
        "退款申请提交了半个月还在审核中",
        "维修寄回去一个多月了还没寄回来",
        "联系了客服N次，一直说会反馈，然后就没有然后了",
        "人工客服永远排队中，根本转不到人",
        "申请售后三天了都没人理",
        "無語，投訴咗兩個禮拜都冇回音",
        "客服说三个工作日内处理，现在都快一个月了",
        "退貨寄咗返去，錢到今日都未退",
        "我买的空调坏了，报修后师傅说配件要等，一等就是二十天，大热天的家里老人小孩都受不了，打电话催了好几次都没有结果",
        "it has been three weeks since my return was received and my refund is still pending",
        "I've been trying to get through to your helpline for days",
        "opened a ticket ten days ago, no one has even looked at it",
        "was promised a callback within 24 hours, that was last week",
        "your live chat just closes on me and emails go unanswered",
        "the replacement I was promised a month ago still hasn't been sent",
    ],
    "rigid_policy": [
        "裤子只是长了想换个码，店员说打折的不能换",
        "没有购物小票就不给退，我明明有付款记录",
        "说包装盒拆了就算二次销售，不给退",
        "退货还得扣20%手续费，太黑了",
        "啲職員話過咗十四日就一定唔退得",
        "坑爹，买错了颜色想换一下都不行",
        "要求必须原价商品才能退，活动商品一律不退",
        "网上说七天无理由，到了门店又说内衣类不退",
        "货没问题，我就是不想要了，凭什么不给退",
        "the store wouldn't exchange the shoes because I'd worn them once indoors",
        "I was told I can't get a refund on a gift without the original card",
        "they wanted me to post it back at my own cost even though it was their mistake policy",
        "no refunds on clearance items, even unworn with tags",
        "they said the 30 day return period had passed, by two days",
        "the assistant said they can only refund to the original card which I no longer have",
    ],
    "delivery_delay": [
        "说好的当日达，第二天晚上才送到",
        "订单一直显示待揽收",
        "快递员说忙不过来，让我再等两天",
        "物流三天没有任何更新了",
        "個包裹卡咗喺海關兩個禮拜",
        "外卖骑手绕了半天，送到的时候饭都凉了",
        "气死了，等了十天还没有发货",
        "預購話十號發貨，而家廿號都未寄出",
        "家具订了两个月了，一直说在生产，交货期一拖再拖",
        "my order is three weeks late and nobody can tell me where it is",
        "the delivery window was 8 to 12 and the van came at 6pm",
        "parcel has been sitting at the depot for a week",
        "still no sign of my sofa and it was due a fortnight ago",
        "my groceries turned up the next day instead of the slot I booked",
        "the tracking number you sent doesn't show any movement",
    ],
    "delivery_damage": [
        "快递送来纸箱全湿了，里面的书都泡烂了",
        "拆开快递发现手机屏幕碎了",
        "搬运师傅把我家新沙发蹭破了一块皮",
        "收到嘅花瓶碎咗一地",
        "外卖送到的时候奶茶洒了一半",
        "冷冻水饺送来的时候全化了粘成一坨",
        "物流把洗衣机外壳撞凹了一块",
        "快遞箱明顯被人踩過，入面嘅模型斷咗",
        "坑爹，包装就一层塑料袋，收到的时候书角全折了",
        "the boxes were ripped open when the courier handed them over",
        "my cake was squashed flat by the time the driver got here",
        "half the glasses in the set were broken in the box",
        "the parcel was thrown over my fence and the printer inside is cracked",
        "the frozen food arrived defrosted and warm",
        "the mirror had a big crack right across it when we unpacked it off the van",
    ],
    "channel_inconsistency": [
        "门店的价格比抖音旗舰店贵了两百",
        "网上查到门店有库存，跑过去说早就卖完了",
        "小程序领的优惠券门店收银说不能用",
        "同样的会员在网上和店里享受的折扣不一样",
        "網購嘅衫拎去門市換，佢哋話唔得",
        "线上下单选了门店自提，到了店里说没有我的单",
        "京东上同一款比你们门店便宜三百",
        "官网说可以门店退货，门店却要我寄回官网",
        "直播间的价格门店不认",
        "the online store and the high street shop have different prices for the same phone",
        "the app shows the item in stock at the branch but the branch has none",
        "your shop won't let me return an online order there",
        "bought it in store for 80, it's 55 on your website",
        "the staff in store said they can't see online promotions so couldn't help",
        "the price online and in the store is totally different",
    ],
    "membership_benefit": [
        "会员积分到期前没有任何提醒就清零了",
        "买了会员说包邮，结果还是收运费",
        "会员等级突然被降级了",
        "積分換嘅禮品一直冇寄出",
        "储值卡余额被莫名扣光了",
        "无语，会员生日当月送的券一张都没收到",
        "开了年度会员，说好的专属客服根本找不到",
        "会员卡绑定手机号后积分全没了",
        "气死了，充值送的钱不能用",
        "my loyalty card points haven't been added for my last three purchases",
        "the VIP early access to the sale didn't work for me",
        "I paid for premium membership and still don't get free delivery",
        "my points balance went from 5000 to 0 overnight",
        "the gift card I received won't load onto my account",
        "I was auto-renewed for a membership I cancelled",
    ],
    "promotion_dispute": [
        "领的满减券说不适用这个商品，页面上明明写了全场通用",
        "预售付了定金，尾款的时候价格比现货还贵",
        "秒杀抢到了却被取消订单",
        "买了以后发现同一件商品别人下单比我便宜一百，说是新人价",
        "標價寫住八折，埋單收原價",
        "说好的返现到现在都没返",
        "坑爹，拼团成功了又说活动结束",
        "宣传满199包邮，结果还是扣了运费",
        "店里贴的是第二杯半价，收银说今天没这个活动",
        "the advert said 50% off everything but at the till it was only selected items",
        "I used a promo code and the discount disappeared when I paid",
        "your newsletter offer of a free tote bag wasn't honoured",
        "I was charged the full price even though the item was on clearance",
        "the price dropped by £40 two days after I bought it, can I get the difference back",
        "the cashback you advertised never appeared",
    ],
    "food_safety": [
        "吃了你们的寿司，全家人上吐下泻",
        "外卖的沙拉里有一条青虫",
        "汉堡里的肉是粉红色的，没熟",
        "买的饼干过期了两个月还在货架上",
        "奶茶喝完嗓子发麻，肚子绞痛",
        "個湯有陣酸臭味，飲完肚痛",
        "月饼切开里面都是霉",
        "罐头打开里面发黑有臭味",
        "无语，炒饭吃出一颗小石头，牙都硌疼了",
        "we found a dead insect in the bag of rice",
        "the yoghurt was fizzy and smelled sour, my kid had already eaten half",
        "there was a plaster in my soup",
        "I was up all night vomiting after your chicken wrap",
        "the ham I bought was slimy and smelled rotten",
        "the label said nut free but my son reacted and it contains almonds",
    ],
    "injury": [
        "新买的剃须刀把脸刮出血了",
        "儿童滑板车把手断了，孩子摔破了膝盖",
        "电热毯半夜烧起来了，差点出事",
        "店里玻璃门没有标识，我一头撞上去额头起了大包",
        "染发剂用完头皮起泡流脓",
        "开罐头的时候边缘太锋利，手被割了个大口子",
        "凳子突然散架，我爸摔到腰了，现在下不了床",
        "插座插上去就冒火花，把手指烫了",
        "隻杯爆咗，啲玻璃濺到我個眼",
        "the bike's front wheel came off and my son went over the handlebars",
        "the trampoline net tore and my daughter fell out and broke her wrist",
        "a shelf in your store fell on my foot",
        "the pressure cooker lid blew off and scalded my arm",
        "the baby's teether split and a piece came off in his mouth",
        "your bath cream gave me a burning rash all over",
    ],
    "other": [
        "你们有没有招聘",
        "请问礼盒可以刻字吗",
        "想知道下个月有什么新品",
        "请问你们店里可以带宠物进去吗",
        "幫我查下最近嘅分店喺邊",
        "我想改一下收货地址",
        "你们的公众号怎么关注",
        "我想表扬一下上次帮我的店员小王",
        "can I pick up in store tomorrow instead",
        "do you do student discount",
        "where can I find the size guide",
        "please remove me from your mailing list",
        "I'd like to know if you sell spare parts for this model",
        "your new store layout is lovely",
        "is the café open on Sundays",
    ],
}

#: The third set, written after the second had been used.
THIRD: dict[str, list[str]] = {
    "quality_defect": [
        "新买的台灯开关按了没反应",
        "这个锅不粘涂层用两次就掉了一大块",
        "眼镜框戴了一周镜腿就断",
        "條褲嘅拉鍊一拉就甩咗出嚟",
        "雨靴穿了一次就进水了",
        "坑爹，蓝牙音箱连不上，一直断连",
        "无语，刚买的椅子坐上去吱吱响还晃",
        "T恤洗完领口全变形了，松松垮垮的",
        "上周在门店买的加湿器，回家插上电就不出雾，换了插座也一样，包装都还没扔，店员说要检测七天才能处理",
        "the strap on my new handbag tore off within a week",
        "the microwave turntable doesn't spin anymore",
        "my running shoes have a hole in the toe after barely a month",
        "the printer jams on literally every page",
        "the fridge is making a horrible buzzing noise and isn't cooling",
        "the mattress has already got a big dip in the middle after two months",
    ],
    "not_as_described": [
        "标题写的是纯羊毛，吊牌成分是腈纶",
        "图片上是大号，实物小了一圈",
        "买的是礼盒装，收到就是普通袋装",
        "說係有機棉，但標籤寫住聚酯纖維",
        "无语，网上看着是奶白色，收到黄不拉几的",
        "描述说可以机洗，实际标签写只能干洗",
        "订的是左开门款，送来的是右开门",
        "颜色跟详情页的差太多了",
        "收到嘅手機殼型號唔啱，裝唔落",
        "the rug is way smaller than the measurements on the site",
        "it says waterproof on the listing but water comes straight through",
        "the dress is a totally different cut to the one on the model",
        "I got sent black trainers when I ordered white",
        "the description promised a glass lid and there isn't one",
        "the set was supposed to have 12 pieces and came with 8",
    ],
    "authenticity": [
        "你们卖的这瓶精华是假的，跟我在免税店买的差别很大",
        "鞋子上的标都是歪的，明显是假冒",
        "拿去品牌店检测，人家说不是他们的货",
        "隻錶係假嘅，我要求退一賠三",
        "收到的手机激活日期是去年，说好的全新机",
        "坑爹，这个包的走线和logo一看就是仿的",
        "酒的瓶盖有被撬开过的痕迹，怀疑掺假",
        "香水喷出来一股酒精味，不是正品的味道",
        "防伪码扫出来说已经被查询过很多次",
        "this Lego set is a cheap copy, not real Lego",
        "the authenticity card in the box is misspelled",
        "the 'new' phone came with scratches and an activation date from last year",
        "I suspect the perfume is counterfeit, it smells nothing like the original",
        "pretty sure these trainers are fake, the box label doesn't match",
        "the brand confirmed the serial number is from a stolen or fake batch",
    ],
    "staff_attitude": [
        "店员一边嚼口香糖一边跟我说话，爱买不买的样子",
        "客服直接说你爱投诉就去投诉",
        "那个司机态度好差，东西扔地上就走",
        "店長成個人好兇，對住我拍枱",
        "服务员嫌我点得少，脸拉得老长",
        "气死了，我问了句价格，店员就说看不懂价签吗",
        "安装师傅嫌我家楼层高，一直抱怨还摔门",
        "无语，前台说我们不接待你这种客人",
        "我带着孩子去买东西，孩子碰了一下货架，店员冲过来大声训我们",
        "the assistant was chewing gum and couldn't be bothered to look at me",
        "your driver was aggressive and threw the parcel at my feet",
        "the girl on the phone laughed when I explained the problem",
        "the waiter told us to hurry up and leave because they were closing",
        "I was spoken to like a child by your store manager",
        "the receptionist was so rude, she didn't even say hello",
    ],
    "slow_after_sales": [
        "退货物流显示已签收一周了，退款还是没动静",
        "客服每次都说已加急，然后就没下文",
        "报修登记了十几天，一直没安排上门",
        "在线客服排队前面有300人",
        "换货寄回去了，新的一直没发过来",
        "坑爹，打了八次客服，每次都要从头说一遍",
        "申請退款兩星期，客服話仲喺度審批",
        "售后说三天给回复，今天第十天",
        "我的洗衣机坏了报修，第一次师傅没来，第二次来了说没带配件，到现在二十多天了还在等",
        "my complaint has been open for six weeks with no resolution",
        "I keep getting automated emails saying you'll be in touch, nothing happens",
        "the refund was approved 3 weeks ago and the money still isn't in my account",
        "your chat bot keeps looping and I can't reach a human",
        "sent the item for repair in June and still haven't had it back",
        "you said a manager would call me within 48 hours, it's been a week",
    ],
    "rigid_policy": [
        "只是买大了一码，店员说贴身衣物一律不退换",
        "拆开试了一下不合适，说拆封了就不能退",
        "要退货还得自己付来回运费",
        "说电子产品激活了就不能退，我根本没激活",
        "过了退换期一天都不行，太不近人情了",
        "門市話一定要用原本張卡先退得錢",
        "购物卡买的东西只能退回购物卡",
        "礼物想换个颜色，没有小票就不给换",
        "气死了，说好的七天无理由，客服又说这类商品不支持",
        "they wouldn't accept the return because the box was slightly damaged",
        "apparently I can't return swimwear even with the hygiene strip on",
        "they told me exchanges only, no cash refunds under any circumstances",
        "the shop wants a 10 pound admin fee to process a return",
        "they would only repair it, not replace it, even though it's brand new",
        "refused to take the item back because it was bought in the sale",
    ],
    "delivery_delay": [
        "物流停在派送站三天没动了",
        "下单显示48小时发货，五天了还是待发货",
        "外卖平台显示已送达，我根本没收到",
        "我嘅包裹喺轉運中心冇郁過",
        "坑爹的预售，说一个月发货，两个月了",
        "无语，快递员打电话说明天送，又没送",
        "网购的床垫说好上周送到，到现在还没有安排",
        "等了一个钟外卖还没到，打骑手电话不接",
        "订的生日蛋糕约了下午三点送，晚上八点才到，生日都过完了",
        "I've been waiting 12 days for something that said 2-day delivery",
        "the courier says it's out for delivery every single day but it never comes",
        "the order confirmation said dispatched within 24 hours, it's been a week",
        "we paid for express shipping and it took ten days",
        "my furniture delivery has been pushed back three times now",
        "the food order showed delivered but no one ever came to the door",
    ],
    "delivery_damage": [
        "快递到了打开一看，茶杯全碎",
        "冰淇淋送到都变成水了",
        "纸箱被压塌，里面的台灯罩凹进去了",
        "坑爹，快递把我的画框摔裂了",
        "電視送到嘅時候屏幕已經爆咗",
        "水果收到一半都压坏出水了",
        "外卖送来的时候盒子翻了，汤汁流得到处都是",
        "安装师傅送货上楼时把门框撞掉一块漆",
        "快递员把包裹从楼上扔下来，里面的键盘摔坏了",
        "the parcel was soaking wet and the book inside is ruined",
        "the plant you delivered arrived with a snapped stem and soil all over the box",
        "the bottle of wine broke in transit and soaked everything else",
        "my monitor arrived with a shattered screen, the box had a big dent",
        "the driver dragged the washing machine and scratched it all down the side",
        "the chocolates arrived completely melted",
    ],
    "channel_inconsistency": [
        "网上下单的东西门店说不给售后",
        "店里说这个价只有线上才有",
        "官方小程序说门店可以自提，去了说系统不支持",
        "門市價貴過網上三成",
        "APP上显示附近门店有货，到了店里根本没有",
        "网上的会员价到门店不能用",
        "同一款鞋，天猫店比专柜便宜很多",
        "无语，在官网买的东西去门店换尺码被拒",
        "门店说他们和网店是两个系统，不管线上订单",
        "the shop wouldn't accept a voucher I got through your app",
        "the website said I could return in any branch, the branch said no",
        "I can buy the exact same item for less on your own website than in your store",
        "store staff said online orders are nothing to do with them",
        "your app price and the shelf price in the store don't match",
        "the click and collect order wasn't at the store when the app said it was",
    ],
    "membership_benefit": [
        "会员积分兑换的商品被取消了，积分也没退回",
        "我是白金会员，专享折扣结账时没有",
        "储值卡说永久有效，现在说过期作废",
        "會員積分點解無端端少咗一半",
        "生日月的会员礼包一直没到账",
        "充了500送的100元余额不见了",
        "坑爹，会员升级要求偷偷改了",
        "开通会员后每个月的免费券都没发",
        "无语，积分商城的东西永远兑换不了",
        "my reward points didn't get added after my last order",
        "as a premium member I'm supposed to get free returns but was charged",
        "the loyalty programme changed and my points are worth half now",
        "I can't redeem my points at checkout, it just errors",
        "the member birthday gift was never sent",
        "my store card balance disappeared",
    ],
    "promotion_dispute": [
        "满400减80，到结算时只减了40",
        "新人优惠券领了用不了",
        "宣传买一送一，送的是快过期的",
        "價錢牌寫89，收銀收我109",
        "活动说前100名半价，我第3个下单也没给",
        "无语，说好的赠品换成了别的便宜货",
        "坑爹，双十一付完定金，尾款比平时还贵",
        "刚下单第二天就降价两百，客服不给保价",
        "抽奖抽中的免单券说不能用在这个商品",
        "the offer said buy two get the cheapest free, it wasn't taken off",
        "the voucher in my email was rejected at checkout",
        "I was charged £5 more than the price on the shelf",
        "the sale price showed online then jumped up when I went to pay",
        "your TV advert promised free installation, now you want to charge me",
        "they cancelled my flash sale order and offered it back at full price",
    ],
    "food_safety": [
        "吃了你们家的凉皮，一家三口都肚子疼",
        "咖啡里喝出一个小虫子",
        "买的鸡胸肉一打开就有臭味",
        "牛奶喝起来是酸的，保质期还有一周",
        "外賣嘅雞翼入面仲係生嘅",
        "饺子里吃出一根铁丝",
        "蛋糕上有霉点，孩子已经吃了两口",
        "无语，面条里面一只死苍蝇",
        "吃完你们的火锅当晚就发烧拉肚子，医生说是细菌感染",
        "there was a piece of metal in my burger",
        "the seafood platter gave my husband food poisoning",
        "the juice was fermented and fizzy when I opened it",
        "found maggots in the bag of flour",
        "the salad had slugs in it",
        "the cheese was covered in mould under the wrapper",
    ],
    "injury": [
        "电动牙刷头断了戳到牙龈出血",
        "热水壶把手脱落，开水洒到脚上烫起泡",
        "健身器材的螺丝松了，我从上面摔下来",
        "孩子玩你们的玩具被夹到手指，指甲都黑了",
        "商場地板冇擺警示牌，我阿媽跣親跌斷手",
        "电暖器把窗帘点着了",
        "用了你们的卸妆油眼睛红肿睁不开",
        "试衣间的镜子掉下来砸到我肩膀",
        "坑爹，椅子腿断了，我直接摔地上尾骨疼了一个月",
        "the blender blade came loose and cut my finger badly",
        "my daughter's hair got caught in the toy's wheels and pulled some out",
        "the hairdryer burst into flames while I was using it",
        "the stepladder gave way and I landed on my wrist, it's fractured",
        "the body lotion made my skin blister",
        "a display fell over in your shop and hit my son on the head",
    ],
    "other": [
        "请问会员怎么注册",
        "你们店有没有无障碍通道",
        "想问一下发票可以开专票吗",
        "下次可以多进点大码的吗",
        "請問聖誕節營業時間",
        "我想取消订阅短信",
        "你们的包装袋能不能换成环保的",
        "我想问下能不能批量采购",
        "is there parking near the store",
        "could you add more vegan options to the menu",
        "how do I change my password",
        "do you have a loyalty scheme",
        "great service today, thank you",
        "can I book an appointment for a fitting",
        "when does the summer collection launch",
    ],
}

SETS: dict[str, dict[str, list[str]]] = {"first": FIRST, "second": SECOND, "third": THIRD}
SAFETY: frozenset[str] = frozenset({"food_safety", "injury"})
#: Lowest share of each category's texts (all sets together) that must be filed right.
FLOORS: dict[str, float] = {
    "quality_defect": 0.9, "not_as_described": 0.9, "authenticity": 0.9,
    "staff_attitude": 0.9, "slow_after_sales": 0.8, "rigid_policy": 0.9,
    "delivery_delay": 0.9, "delivery_damage": 0.9, "channel_inconsistency": 0.9,
    "membership_benefit": 0.9, "promotion_dispute": 0.9, "food_safety": 1.0, "injury": 1.0,
    "other": 0.8,
}
#: Lowest share of each whole set filed right.
SET_FLOOR = 0.9
#: Cantonese characters the default fold reads as their Mandarin equivalents.
CANTONESE = "咗唔冇嘅佢俾畀喺嘢睇嗰咩乜攞揾搵嚟哋啱"


@pytest.fixture(scope="module")
def clf() -> KeywordClassifier:
    return KeywordClassifier()


def _texts(category: str) -> list[str]:
    return [t for texts in SETS.values() for t in texts[category]]


def test_the_sets_cover_every_category_fifteen_times(clf: KeywordClassifier) -> None:
    for texts in SETS.values():
        assert set(texts) == {*clf.categories, "other"}
        assert all(len(ts) >= 15 for ts in texts.values())
    every = [t for texts in SETS.values() for ts in texts.values() for t in ts]
    assert len(every) == len(set(every)), "a text appears twice"


@pytest.mark.parametrize("category", sorted(FLOORS))
def test_each_category_keeps_its_floor(clf: KeywordClassifier, category: str) -> None:
    texts = _texts(category)
    wrong = [(t, clf.decide(t).category) for t in texts if clf.decide(t).category != category]
    share = 1 - len(wrong) / len(texts)
    assert share >= FLOORS[category], f"{share:.0%} right; filed elsewhere: {wrong}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_each_set_keeps_its_floor(clf: KeywordClassifier, name: str) -> None:
    pairs = [(c, t) for c, ts in SETS[name].items() for t in ts]
    right = sum(clf.decide(t).category == c for c, t in pairs)
    assert right / len(pairs) >= SET_FLOOR, f"{right}/{len(pairs)}"


@pytest.mark.parametrize("text", [t for c in sorted(SAFETY) for t in _texts(c)])
def test_every_safety_text_is_a_safety_case(clf: KeywordClassifier, text: str) -> None:
    v = clf.decide(text)
    assert v.dimension == "safety", v
    assert v.severity == 1
    assert v.min_tier is not None and v.min_tier >= cf.Tier.REGIONAL_HEAD


def test_no_other_text_is_made_a_safety_case(clf: KeywordClassifier) -> None:
    alarms = [(c, t) for texts in SETS.values() for c, ts in texts.items() if c not in SAFETY
              for t in ts if clf.decide(t).dimension == "safety"]
    assert alarms == []


def test_attitude_is_severity_two(clf: KeywordClassifier) -> None:
    verdicts = [clf.decide(t) for t in _texts("staff_attitude")]
    assert all(v.severity == 2 for v in verdicts if v.category == "staff_attitude")
    assert any(v.category == "staff_attitude" for v in verdicts)


@pytest.mark.parametrize(("text", "category"), [
    # a defect the store then refused to exchange is filed as the defect
    ("連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換", "quality_defect"),
    ("they refused to exchange a faded dress", "quality_defect"),
    ("件衫洗咗一次就甩色，啲店員仲話唔退唔換", "quality_defect"),
    # a refusal with nothing wrong with the goods is the return rules
    ("衫冇問題，只係唔啱身，店員話唔退唔換", "rigid_policy"),
    # an online purchase the store will not take back is the channel gap
    ("网购的不能在门店换，门店说系统不一样", "channel_inconsistency"),
    # anything that made someone ill or hurt is safety, whatever else went wrong
    ("快递晚了三天，打开牛奶已经变质，孩子喝了拉肚子", "food_safety"),
    ("the courier was rude and the heater he delivered caught fire", "injury"),
])
def test_two_problems_are_filed_under_the_main_one(clf: KeywordClassifier, text: str,
                                                    category: str) -> None:
    assert clf.decide(text).category == category


@settings(max_examples=60)
@given(before=st.text(alphabet="衣服洗快递了到退换的店员态度差 ", max_size=12),
       after=st.text(alphabet="衣服洗快递了到退换的店员态度差 ", max_size=12),
       char=st.sampled_from(CANTONESE))
def test_cantonese_reads_as_mandarin(before: str, after: str, char: str) -> None:
    clf = _shared()
    fold = default_fold()
    assert char in fold
    cantonese, mandarin = before + char + after, before + fold[char] + after
    assert clf.matcher.normalise(cantonese) == clf.matcher.normalise(mandarin)
    a, b = clf.decide(cantonese), clf.decide(mandarin)
    assert (a.category, a.evidence) == (b.category, b.evidence)


@pytest.mark.parametrize(("cantonese", "category"), [
    ("部機壞咗", "quality_defect"), ("佢哋唔退唔換", "rigid_policy"),
    ("等咗成個禮拜都未收到貨", "delivery_delay"),
    ("冇人覆我", "slow_after_sales"), ("型號唔啱", "not_as_described"),
])
def test_cantonese_phrasing(clf: KeywordClassifier, cantonese: str, category: str) -> None:
    assert clf.decide(cantonese).category == category


def test_classifying_a_short_text_stays_fast(clf: KeywordClassifier) -> None:
    texts = ["快递三天了还没到", "the parcel arrived smashed", "店員態度好差", "積分被清零了"]
    for t in texts:
        clf.decide(t)
    rounds = 500
    start = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            clf.decide(t)
    per = (time.perf_counter() - start) / (rounds * len(texts))
    # about 10 µs on a laptop; the bound leaves room for slow CI machines
    assert per < 200e-6, f"{per * 1e6:.1f} µs per classification"


_CLF: list[KeywordClassifier] = []


def _shared() -> KeywordClassifier:
    if not _CLF:
        _CLF.append(KeywordClassifier())
    return _CLF[0]
