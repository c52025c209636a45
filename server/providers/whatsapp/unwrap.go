package whatsapp

import (
	"slices"

	"go.mau.fi/whatsmeow/proto/waE2E"
)

// MaxWrapDepth bounds how many envelopes are read through to reach a message's
// content. Real messages nest two or three (an ephemeral chat's view-once photo sent
// from the owner's phone); the bound keeps a hostile nesting from costing more.
const MaxWrapDepth = 8

// wrappers are the envelopes whose payload is another message. whatsmeow's UnwrapRaw
// opens some of them once, in a fixed order (device-sent, bot-invoke, ephemeral,
// view-once v1/v2/v2-extension, lottie sticker, document-with-caption, edited), so an
// envelope inside a later one stays closed, and it never opens associatedChildMessage
// (album children, HD copies, motion photos), groupMentionedMessage or
// botForwardedMessage. Read through all of them, any order, up to MaxWrapDepth.
//
// Status, poll-option, event-cover and question envelopes are left closed: they are
// not conversation messages. An edit (protocolMessage MESSAGE_EDIT inside
// editedMessage) stays a protocol message and is not delivered as a new message.
var wrappers = []func(*waE2E.Message) *waE2E.Message{
	func(m *waE2E.Message) *waE2E.Message { return m.GetDeviceSentMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetEphemeralMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetViewOnceMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetViewOnceMessageV2().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetViewOnceMessageV2Extension().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetDocumentWithCaptionMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetEditedMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetBotInvokeMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetBotForwardedMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetLottieStickerMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetGroupMentionedMessage().GetMessage() },
	func(m *waE2E.Message) *waE2E.Message { return m.GetAssociatedChildMessage().GetMessage() },
}

// unwrap returns m's content under its envelopes and the message association found on
// the way (the outermost one: WhatsApp puts it in the envelope's messageContextInfo,
// whatsmeow copies it onto the unwrapped message). Content nested deeper than
// MaxWrapDepth is not read (nil).
func unwrap(m *waE2E.Message) (*waE2E.Message, *waE2E.MessageAssociation) {
	var assoc *waE2E.MessageAssociation
	for range MaxWrapDepth + 1 {
		if assoc == nil {
			assoc = m.GetMessageContextInfo().GetMessageAssociation()
		}
		var inner *waE2E.Message
		for _, w := range wrappers {
			if inner = w(m); inner != nil {
				break
			}
		}
		if inner == nil {
			return m, assoc
		}
		m = inner
	}
	return nil, assoc // deeper than MaxWrapDepth: nothing read
}

// duplicateAssociations mark a child that repeats a message already delivered: the HD
// upload of a photo or video (its standard-quality parent came first) and the video
// half of a motion photo (its still was the parent). Delivering them would run the
// agent twice on one picture.
var duplicateAssociations = []waE2E.MessageAssociation_AssociationType{
	waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD,
	waE2E.MessageAssociation_HD_VIDEO_DUAL_UPLOAD,
	waE2E.MessageAssociation_HEVC_VIDEO_DUAL_UPLOAD,
	waE2E.MessageAssociation_MOTION_PHOTO,
}

func isDuplicateChild(a *waE2E.MessageAssociation) bool {
	return a != nil && slices.Contains(duplicateAssociations, a.GetAssociationType())
}

// albumParent is the id of the album a child belongs to ("" when it is not one).
func albumParent(a *waE2E.MessageAssociation) string {
	if a.GetAssociationType() != waE2E.MessageAssociation_MEDIA_ALBUM {
		return ""
	}
	return a.GetParentMessageKey().GetID()
}
