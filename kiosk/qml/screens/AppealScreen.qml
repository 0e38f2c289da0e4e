// 我要反映, one question per step: category, village, words (Pinyin keyboard), phone, confirm.
import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import "../components"

Item {
    id: root
    objectName: "appealScreen"

    // The keyboard belongs to the text step only; whatever moved the form on, put it away.
    Connections {
        target: appeal
        function onChanged() { if (appeal.step !== "text") { Qt.inputMethod.hide(); field.focus = false } }
        // No microphone (or the recording failed): straight to the keyboard.
        function onTypingRequested() { field.forceActiveFocus(); Qt.inputMethod.show() }
    }

    // Step 1: what kind of matter.
    ColumnLayout {
        visible: appeal.step === "category"
        anchors.fill: parent
        spacing: theme.gapPx
        KText { text: "您要反映哪一类事？"; role: "body" }
        GridLayout {
            Layout.fillWidth: true; Layout.fillHeight: true
            columns: theme.on ? 3 : 4
            rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            Repeater {
                model: appeal.categories
                KButton {
                    objectName: "cat_" + modelData.id
                    Layout.fillWidth: true; Layout.fillHeight: true
                    label: modelData.label; fill: "red"
                    onClicked: appeal.chooseCategory(modelData.id)
                }
            }
        }
    }

    // Step 2: which village.
    ColumnLayout {
        visible: appeal.step === "village"
        anchors.fill: parent
        spacing: theme.gapPx
        KText { text: "是哪个村的事？"; role: "body" }
        GridLayout {
            Layout.fillWidth: true
            columns: 3; rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            Repeater {
                model: appeal.villages
                KButton {
                    objectName: "village_" + modelData.id
                    Layout.fillWidth: true
                    label: modelData.label; fill: "blue"
                    onClicked: appeal.chooseVillage(modelData.id)
                }
            }
        }
        Item { Layout.fillHeight: true }
        KButton { objectName: "btnStepBack"; label: "上一步"; fill: "slate"; onClicked: appeal.stepBack() }
    }

    // Step 3: the words, typed with the Pinyin keyboard. The prompt is body text (it is the
    // question of this step, as on the other steps) on a line of its own across the screen, so
    // that its words are not elided beside the buttons. Under it, landscape: field and buttons
    // side by side so that they stay above the keyboard; portrait: buttons under the field.
    ColumnLayout {
        visible: appeal.step === "text"
        anchors.fill: parent
        spacing: theme.gapPx / 2
        KText { objectName: "appealTextPrompt"
                text: appeal.error !== "" ? appeal.error
                      : appeal.voiceLabel !== "" ? "已录好" + appeal.voiceLabel + "，也可以再写几个字（" + appeal.categoryLabel + "）"
                      : "请写一写是什么事（" + appeal.categoryLabel + "）"
                // one line (NoWrap): no leading to give between lines, so none above or below it
                role: "body"; wrapMode: Text.NoWrap; elide: Text.ElideRight; lineHeight: 1.0; Layout.fillWidth: true
                color: appeal.error !== "" ? theme.color.red : theme.color.ink }
        GridLayout {
            Layout.fillWidth: true; Layout.fillHeight: true
            columns: theme.portrait ? 1 : 2
            rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            Rectangle {
                Layout.fillWidth: true; Layout.fillHeight: true
                Layout.minimumHeight: theme.targetPx
                color: theme.color.card; border.width: 3; border.color: theme.color.blue; radius: 8
                readonly property bool isTarget: true
                // Words beyond the field's height scroll inside it: TextArea keeps the cursor of
                // its flickable in view, so the line being typed never goes under the keys.
                Flickable {
                    id: fieldView
                    objectName: "appealTextView"
                    anchors { fill: parent; margins: 8 }
                    clip: true
                    boundsBehavior: Flickable.StopAtBounds
                    TextArea.flickable: TextArea {
                        id: field
                        objectName: "appealText"
                        font.pixelSize: theme.bodyPx
                        font.family: "Noto Sans CJK SC"
                        color: theme.color.ink
                        wrapMode: TextEdit.Wrap
                        padding: 0
                        background: null
                        text: appeal.text
                        onTextChanged: if (text !== appeal.text) appeal.setText(text)
                        inputMethodHints: Qt.ImhNoPredictiveText
                    }
                }
            }
            RowLayout {
                Layout.alignment: Qt.AlignTop
                Layout.fillWidth: theme.portrait   // landscape: buttons at their size, the field takes the rest
                spacing: theme.gapPx
                KButton { objectName: "btnTextNext"; label: "下一步"; fill: "green"; Layout.fillWidth: true
                          enabledLook: appeal.canContinue; onClicked: { Qt.inputMethod.commit(); Qt.inputMethod.hide(); appeal.toPhone() } }
                KButton { objectName: "btnStepBack2"; label: "上一步"; fill: "slate"; Layout.fillWidth: true
                          onClicked: appeal.stepBack() }
                KButton { objectName: "btnUseVoice"; label: "说话代替打字"; fill: "purple"; Layout.fillWidth: true
                          onClicked: { Qt.inputMethod.commit(); appeal.useVoice() } }
            }
        }
    }

    // Step 3b: a voice note instead of typing: big record / stop / play buttons, a big clock.
    ColumnLayout {
        visible: appeal.step === "voice"
        anchors.fill: parent
        spacing: theme.gapPx
        KText { objectName: "voiceMessage"; Layout.fillWidth: true
                text: voiceNote.message !== "" ? voiceNote.message
                      : appeal.error !== "" ? appeal.error
                      : "请点“开始录音”，对着话筒说是什么事（" + appeal.categoryLabel + "），说完点“停止”。" }
        KText { objectName: "voiceClock"; role: "title"; font.pixelSize: theme.titlePx * 1.5; lineHeight: 1.1
                wrapMode: Text.NoWrap
                color: voiceNote.state === "recording" ? theme.color.red : theme.color.ink
                text: (voiceNote.state === "recording" ? "● 正在录音  " : voiceNote.state === "playing" ? "正在播放  " : "") + voiceNote.clock }
        GridLayout {
            Layout.fillWidth: true
            columns: theme.portrait ? 1 : 3
            rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            KButton { objectName: "btnRecord"; label: voiceNote.hasNote ? "重新录" : "开始录音"; fill: "red"
                      Layout.fillWidth: true; Layout.preferredHeight: theme.targetPx * 1.5
                      visible: voiceNote.state !== "recording"; onClicked: voiceNote.record() }
            KButton { objectName: "btnStopRecording"; label: "停止"; fill: "brown"
                      Layout.fillWidth: true; Layout.preferredHeight: theme.targetPx * 1.5
                      visible: voiceNote.state === "recording" || voiceNote.state === "playing"
                      onClicked: voiceNote.stop() }
            KButton { objectName: "btnPlay"; label: "播放"; fill: "teal"
                      Layout.fillWidth: true; Layout.preferredHeight: theme.targetPx * 1.5
                      visible: voiceNote.state === "recorded"; onClicked: voiceNote.play() }
        }
        Item { Layout.fillHeight: true }
        RowLayout {
            spacing: theme.gapPx
            KButton { objectName: "btnVoiceNext"; label: "下一步"; fill: "green"; enabledLook: voiceNote.hasNote
                      onClicked: appeal.voiceNext() }
            KButton { objectName: "btnUseKeyboard"; label: "改用键盘写"; fill: "blue"; onClicked: appeal.useKeyboard() }
        }
    }

    // Step 4: optional phone, on a digit keypad (the number is masked once complete).
    GridLayout {
        visible: appeal.step === "phone"
        anchors.fill: parent
        columns: theme.portrait ? 1 : 2
        rowSpacing: theme.marginPx; columnSpacing: theme.marginPx
        Keypad {
            Layout.alignment: Qt.AlignTop
            Layout.row: theme.portrait ? 1 : 0; Layout.column: 0
            onDigit: (d) => appeal.pressDigit(d)
            onErase: appeal.erasePhone()
        }
        ColumnLayout {
            Layout.row: 0; Layout.column: theme.portrait ? 0 : 1
            Layout.fillWidth: true; Layout.alignment: Qt.AlignTop
            spacing: theme.gapPx
            KText { Layout.fillWidth: true; text: appeal.error !== "" ? appeal.error : "要回电话的话，请留手机号（可以不留）"
                    color: appeal.error !== "" ? theme.color.red : theme.color.ink }
            KText { objectName: "phoneShown"; Layout.fillWidth: true; role: "title"; text: appeal.phoneMasked }
            KButton { objectName: "btnPhoneNext"; label: "下一步"; fill: "green"; onClicked: appeal.toConfirm() }
            KButton { objectName: "btnSkipPhone"; label: "不留电话"; fill: "blue"; onClicked: appeal.skipPhone() }
        }
    }

    // Step 5: read back and send.
    ColumnLayout {
        visible: appeal.step === "confirm"
        anchors.fill: parent
        spacing: theme.gapPx
        Card {
            Layout.fillWidth: true; Layout.fillHeight: true
            ColumnLayout {
                anchors { fill: parent; margins: theme.marginPx / 2 }
                spacing: 0
                KText { Layout.fillWidth: true; text: "类别：" + appeal.categoryLabel + "　村：" + appeal.villageLabel }
                KText { Layout.fillWidth: true; text: "电话：" + appeal.phoneMasked }
                KText { objectName: "confirmVoice"; Layout.fillWidth: true; visible: appeal.voiceLabel !== ""
                        text: appeal.voiceLabel }
                KText { objectName: "confirmText"; Layout.fillWidth: true; Layout.fillHeight: true
                        visible: appeal.text !== "" || appeal.voiceLabel === ""
                        text: "内容：" + appeal.text; elide: Text.ElideRight; verticalAlignment: Text.AlignTop }
            }
        }
        RowLayout {
            spacing: theme.gapPx
            KButton { objectName: "btnSubmit"; label: "确认提交"; fill: "green"; onClicked: appeal.submit() }
            KButton { objectName: "btnStepBack3"; label: "上一步"; fill: "slate"; onClicked: appeal.stepBack() }
        }
    }
}
